/**
 * `pnpm bench kafka [--events N] [--batch B] [--concurrency C] [--rate R] [--partitions P]
 *  [--brokers host:port]`
 *
 * The scaled path end to end through a real broker: the collector and one worker run as their own
 * processes (services/*\/src/main.ts, the worker on an embedded chDB store), and this process posts
 * realistic demo events as NDJSON batches over loopback HTTP.
 * - Throughput: N events posted as fast as C clients can; end-to-end events/s is N over the time from
 *   the first POST to the last row inserted (`events_raw.ingested_at`, set by ClickHouse at insert).
 * - Freshness: the same volume paced at R events/s (a load the pipeline sustains; saturating it only
 *   measures the queue), per event the time from its POST to its insert, p50/p99/max.
 * - Alongside: the raw produce rate of the same bodies through the Kafka adapter (the ceiling of the
 *   publishing half) and the collector's POST → 202 latency (broker acknowledgement, acks=all).
 * Needs a running broker: infra/kafka/kafka.sh start. Topics get a unique prefix and are deleted after.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KafkaBus, TOPICS } from '@shewhart/bus';
import { generateDemo } from '@shewhart/cli/demo';
import { validateBatch } from '@shewhart/events';
import { openWarehouse } from '@shewhart/warehouse';
import { groupLag, isReady, type ServiceProcess, startService } from '../../../test/support/processes.js';
import { mib, percentile } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Args {
  events: number;
  batch: number;
  concurrency: number;
  rate: number;
  partitions: number;
  brokers: string;
  workerBatch: number;
}

function parse(argv: string[]): Args | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '200000' },
      batch: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '4' },
      rate: { type: 'string', default: '20000' },
      partitions: { type: 'string', default: '6' },
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      'worker-batch': { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: pnpm bench kafka [--events 200000] [--batch 2000] [--concurrency 4] [--rate 20000]\n' +
        '                        [--partitions 6] [--brokers 127.0.0.1:9092] [--worker-batch 10000]\n',
    );
    return undefined;
  }
  const int = (key: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} must be a positive integer, got '${v}'`);
    return n;
  };
  return {
    events: int('events', values.events),
    batch: int('batch', values.batch),
    concurrency: int('concurrency', values.concurrency),
    rate: int('rate', values.rate),
    partitions: int('partitions', values.partitions),
    brokers: values.brokers,
    workerBatch: int('worker-batch', values['worker-batch']),
  };
}

/** Realistic demo payloads, each with a unique id under the phase's source. */
function demoEvents(total: number, source: string): { id: string; line: string }[] {
  const out: { id: string; line: string }[] = [];
  for (let seed = 1; out.length < total; seed++) {
    const week = generateDemo({ weeks: 104, teams: 20, seed, end: new Date('2026-01-05T00:00:00Z') });
    for (const e of week) {
      const id = `${out.length}`;
      out.push({ id, line: JSON.stringify({ ...e, id, source }) });
      if (out.length >= total) break;
    }
  }
  const check = validateBatch(out.slice(0, 1000).map((e) => JSON.parse(e.line)));
  if (!check.ok) throw new Error('synthetic events invalid');
  return out;
}

function batchesOf(events: { id: string; line: string }[], size: number) {
  const batches: { ids: string[]; body: string }[] = [];
  for (let i = 0; i < events.length; i += size) {
    const part = events.slice(i, i + size);
    batches.push({ ids: part.map((e) => e.id), body: `${part.map((e) => e.line).join('\n')}\n` });
  }
  return batches;
}

async function post(url: string, body: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    await res.arrayBuffer();
    if (res.status === 202) return;
    if (res.status !== 503) throw new Error(`ingest answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 200)); // counted in the figures: nothing was taken
  }
}

/**
 * Posts the batches with `concurrency` clients; with `rate`, batch i is not sent before
 * start + i·batch/rate (an open-loop schedule, so a slow answer does not lower the offered load).
 * Returns each event's send time (wall clock, comparable with ClickHouse's now64()) and 202 latencies.
 */
async function drive(
  url: string,
  batches: { ids: string[]; body: string }[],
  concurrency: number,
  rate?: number,
) {
  const sentAt = new Map<string, number>();
  const ackMs: number[] = [];
  const start = Date.now();
  let next = 0;
  let offset = 0;
  const offsets = batches.map((b) => {
    const o = offset;
    offset += b.ids.length;
    return o;
  });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const i = next++;
        const batch = batches[i] as { ids: string[]; body: string };
        if (rate) {
          const due = start + ((offsets[i] as number) / rate) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const t0 = Date.now();
        for (const id of batch.ids) sentAt.set(id, t0);
        await post(url, batch.body);
        ackMs.push(Date.now() - t0);
      }
    }),
  );
  return { start, sentAt, ackMs: ackMs.sort((a, b) => a - b), postedMs: Date.now() - start };
}

async function caughtUp(worker: ServiceProcess): Promise<void> {
  const deadline = Date.now() + 600_000;
  while ((await groupLag(worker)) !== 0) {
    if (Date.now() > deadline) throw new Error('the worker did not catch up within 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN;
  }
}

/** The local broker's pid (infra/kafka/kafka.sh writes it), when the broker is the repository's one. */
function brokerPid(brokers: string): number | undefined {
  const port = /:(\d+)$/.exec(brokers.split(',')[0] ?? '')?.[1];
  try {
    return Number(readFileSync(join(here, '../../../infra/kafka/run', port ?? '', 'kafka.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

function peakRss(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb * 1024;
}

async function rawProduce(args: Args, lines: string[]) {
  const bus = new KafkaBus({ brokers: args.brokers.split(','), publishTimeoutMs: 30_000 });
  const topic = `bench.kafka.raw.${Date.now().toString(36)}`;
  try {
    await bus.ensureTopics([{ name: topic, partitions: args.partitions }]);
    const messages = lines.map((line, i) => ({ key: `team-${i % 20}`, value: Buffer.from(line) }));
    await bus.publish(topic, messages.slice(0, args.batch)); // warm-up
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next * args.batch < messages.length) {
          const i = next++;
          await bus.publish(topic, messages.slice(i * args.batch, (i + 1) * args.batch));
        }
      }),
    );
    return Math.round(messages.length / ((performance.now() - t0) / 1000));
  } finally {
    await bus.deleteTopics([topic]).catch(() => {});
    await bus.close();
  }
}

export async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  if (!args) return;
  const prefix = `bench.${Date.now().toString(36)}.`;
  const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-bench-kafka-'));
  const env = {
    KAFKA_BROKERS: args.brokers,
    KAFKA_PARTITIONS: String(args.partitions),
    SHEWHART_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: `${prefix}workers`,
    KAFKA_MAX_BATCH_SIZE: String(args.workerBatch),
    KAFKA_FETCH_MAX_BYTES_PER_PARTITION: String(
      Math.max(4, Math.ceil(args.workerBatch / 2500)) * 1024 * 1024,
    ),
    LOG_LEVEL: 'error',
  };
  process.stdout.write(
    `kafka: ${args.events} demo events per phase, NDJSON batches of ${args.batch}, ${args.concurrency} in flight, ` +
      `${args.partitions} partitions, worker batches ≤ ${args.workerBatch}, paced phase at ${args.rate} events/s, ` +
      `brokers ${args.brokers}\n`,
  );
  const phases = {
    throughput: demoEvents(args.events, 'bench/throughput'),
    freshness: demoEvents(args.events, 'bench/freshness'),
  };
  const collector = await startService('collector', env);
  const worker = await startService('worker', { ...env, SHEWHART_DATA_DIR: dataDir });
  const bus = new KafkaBus({ brokers: args.brokers.split(',') });
  const results: Record<string, Awaited<ReturnType<typeof drive>>> = {};
  const cpu: Record<string, { client: number; collector: number; worker: number; broker: number }> = {};
  const broker = brokerPid(args.brokers);
  try {
    while (!((await isReady(collector)) && (await isReady(worker))))
      await new Promise((r) => setTimeout(r, 100));
    // Warm-up outside the figures: connections, producer id, JIT, the first chDB parts.
    await drive(collector.url, batchesOf(demoEvents(args.batch, 'bench/warmup'), args.batch), 1);
    await caughtUp(worker);
    for (const [name, events] of Object.entries(phases)) {
      process.stdout.write(`  ${name}…\n`);
      const batches = batchesOf(events, args.batch);
      const before = {
        client: process.cpuUsage(),
        collector: cpuSeconds(collector.pid),
        worker: cpuSeconds(worker.pid),
        broker: cpuSeconds(broker),
      };
      results[name] = await drive(
        collector.url,
        batches,
        args.concurrency,
        name === 'freshness' ? args.rate : undefined,
      );
      await caughtUp(worker);
      const client = process.cpuUsage(before.client);
      cpu[name] = {
        client: (client.user + client.system) / 1e6,
        collector: cpuSeconds(collector.pid) - before.collector,
        worker: cpuSeconds(worker.pid) - before.worker,
        broker: cpuSeconds(broker) - before.broker,
      };
    }
    const rss = { collector: peakRss(collector.pid), worker: peakRss(worker.pid) };
    await worker.stop();
    await collector.stop();

    const warehouse = await openWarehouse({ database: 'shewhart', dataDir });
    const lines: string[] = [''];
    for (const [name, r] of Object.entries(results)) {
      const rs = await warehouse.client.query({
        query: `SELECT id, toUnixTimestamp64Milli(ingested_at) AS at FROM events_raw WHERE source = {s:String}`,
        query_params: { s: `bench/${name}` },
        format: 'JSONCompactEachRow',
      });
      const rows = await rs.json<[string, string]>();
      const fresh: number[] = [];
      let last = 0;
      for (const [id, at] of rows) {
        const t = Number(at);
        last = Math.max(last, t);
        fresh.push(t - (r.sentAt.get(id) ?? Number.NaN));
      }
      fresh.sort((a, b) => a - b);
      const seconds = (last - r.start) / 1000;
      lines.push(
        `${name}${name === 'freshness' ? ` (paced at ${args.rate} events/s)` : ' (as fast as the clients go)'}`,
        `  stored (verified):   ${rows.length} of ${args.events}`,
        `  end to end:          ${Math.round(rows.length / seconds)} events/s (first POST → last insert ${seconds.toFixed(2)} s; posting took ${(r.postedMs / 1000).toFixed(2)} s)`,
        `  POST → inserted:     p50 ${percentile(fresh, 0.5).toFixed(0)} ms, p99 ${percentile(fresh, 0.99).toFixed(0)} ms, max ${(fresh.at(-1) ?? Number.NaN).toFixed(0)} ms (per event)`,
        `  POST → 202:          p50 ${percentile(r.ackMs, 0.5).toFixed(0)} ms, p99 ${percentile(r.ackMs, 0.99).toFixed(0)} ms (per batch, broker acks=all)`,
        `  CPU µs per event:    ${Object.entries(cpu[name] ?? {})
          .map(([who, s]) => `${who} ${((s * 1e6) / args.events).toFixed(1)}`)
          .join(', ')}`,
      );
    }
    await warehouse.close();
    lines.push(`peak RSS: collector ${mib(rss.collector)}, worker ${mib(rss.worker)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stdout.write('raw produce (same bodies through the Kafka adapter, no HTTP, no worker)…\n');
    const raw = await rawProduce(
      args,
      phases.throughput.map((e) => e.line),
    );
    process.stdout.write(`  ${raw} events/s\n`);
  } finally {
    await collector.stop().catch(() => null);
    await worker.stop().catch(() => null);
    await bus.deleteTopics([`${prefix}${TOPICS.events}`, `${prefix}${TOPICS.deadLetters}`]).catch(() => {});
    await bus.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
