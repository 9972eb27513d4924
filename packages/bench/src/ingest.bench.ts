/**
 * `pnpm bench ingest [--events N] [--batch N] [--concurrency N]`
 *
 * Posts N synthetic events (realistic demo payloads) as NDJSON batches to the embedded collector,
 * running as its own process (`shewhart start`), and measures:
 * - end-to-end events/s, and per batch the latency from POST to queryable in ClickHouse (the collector
 *   answers 202 only after the rows are committed; a sample of batches is also queried to confirm),
 * - the server's peak RSS;
 * then, for comparison, the raw insert rate of the same rows straight into chDB from this process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateDemo } from '@shewhart/cli/demo';
import { validateBatch } from '@shewhart/events';
import { migrate, openWarehouse, toEventRow } from '@shewhart/warehouse';
import { mib, PeakRss, percentile } from './stats.js';

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '200000' },
      batch: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '4' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: pnpm bench ingest [--events 200000] [--batch 2000] [--concurrency 4]\n');
    return;
  }
  const total = Number(values.events);
  const batchSize = Number(values.batch);
  const concurrency = Number(values.concurrency);

  process.stdout.write(`generating ${total} events…\n`);
  const events = syntheticEvents(total);
  const batches: string[] = [];
  for (let i = 0; i < events.length; i += batchSize) {
    batches.push(
      `${events
        .slice(i, i + batchSize)
        .map((e) => JSON.stringify(e))
        .join('\n')}\n`,
    );
  }

  const dir = mkdtempSync(join(tmpdir(), 'shewhart-bench-'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const server = await startServer(dir, port);
  const url = `http://127.0.0.1:${port}`;
  try {
    // Warm-up: one batch, not measured.
    await post(url, batches[0] as string);
    const latencies: number[] = [];
    let next = 1;
    const started = performance.now();
    const workers = Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const i = next++;
        const t0 = performance.now();
        await post(url, batches[i] as string);
        latencies.push(performance.now() - t0);
      }
    });
    await Promise.all(workers);
    const seconds = (performance.now() - started) / 1000;
    const measured = events.length - Math.min(batchSize, events.length);
    const peak = serverPeakRss(server);
    const stored = await countStored(url);
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      [
        '',
        `end to end (HTTP NDJSON → collector → in-process bus → worker → chDB), batch ${batchSize}, ${concurrency} in flight`,
        `  events:              ${measured} in ${seconds.toFixed(2)} s = ${Math.round(measured / seconds)} events/s`,
        `  POST → queryable:    p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms (per batch)`,
        `  stored (verified):   ${stored} of ${events.length}`,
        `  server peak RSS:     ${mib(peak)}`,
      ].join('\n'),
    );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }

  // The ceiling: the same rows inserted straight into chDB from this process, same batch size.
  const rawDir = mkdtempSync(join(tmpdir(), 'shewhart-bench-raw-'));
  const rss = new PeakRss();
  const wh = await openWarehouse({ dataDir: rawDir, database: 'shewhart' });
  await migrate(wh.client);
  const rows = events.map(toEventRow);
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += batchSize) {
    await wh.client.insert({
      table: 'events_raw',
      values: rows.slice(i, i + batchSize),
      format: 'JSONEachRow',
    });
  }
  const rawSeconds = (performance.now() - t0) / 1000;
  const peakRaw = rss.stop();
  await wh.close();
  process.stdout.write(
    [
      '',
      `raw insert ceiling (rows straight into chDB events_raw from one process, batch ${batchSize})`,
      `  events:              ${rows.length} in ${rawSeconds.toFixed(2)} s = ${Math.round(rows.length / rawSeconds)} events/s`,
      `  peak RSS:            ${mib(peakRaw)}`,
      '',
    ].join('\n'),
  );
  rmSync(dir, { recursive: true, force: true });
  rmSync(rawDir, { recursive: true, force: true });
}

function syntheticEvents(total: number) {
  const out: unknown[] = [];
  let seed = 1;
  while (out.length < total) {
    for (const e of generateDemo({
      weeks: 104,
      teams: 20,
      seed: seed++,
      end: new Date('2026-01-05T00:00:00Z'),
    })) {
      out.push(e);
      if (out.length >= total) break;
    }
  }
  const checked = validateBatch(out);
  if (!checked.ok) throw new Error('synthetic events invalid');
  return checked.events;
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

async function countStored(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  const m = /shewhart_worker_events_total\{outcome="stored"\} (\d+)/.exec(text);
  return Number(m?.[1] ?? 0);
}

function serverPeakRss(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

async function startServer(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'start', '--data', dir, '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'error' },
    },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('is running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return child;
}
