/**
 * `pnpm bench hostile [--requests 100000] [--concurrency 8] [--seed 1] [--weeks 26]`: starts a real
 * server (`shewhart start --demo`, as a child process, on a fresh data directory) and sends it generated
 * hostile requests against every route (packages/bench/src/hostile-requests.ts: the fuzz test's
 * generator, with 16 MiB bodies too). Prints the answers by status, the 5xx count (must be 0), requests
 * not answered within the deadline, latency percentiles, the server's peak RSS and requests/s over time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { memoryOf, startDemoServer, stop } from './demo-server.js';
import { type HostileRequest, hostileRequests, type RouteInfo, sendRaw } from './hostile-requests.js';
import { mib, percentile } from './stats.js';

/** The routes of the running server: its OpenAPI document, plus the operational ones it hides. */
async function routesOf(url: string): Promise<RouteInfo[]> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, object> };
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
      .map((m) => ({ method: m.toUpperCase(), url: path.replace(/\{([^}]+)\}/g, ':$1') })),
  );
  for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.json'])
    routes.push({ method: 'GET', url: p });
  return routes;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '100000' },
      concurrency: { type: 'string', default: '8' },
      seed: { type: 'string', default: '1' },
      weeks: { type: 'string', default: '26' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'pnpm bench hostile [--requests 100000] [--concurrency 8] [--seed 1] [--weeks 26]\n' +
        'Starts `shewhart start --demo` on a fresh data directory and sends it generated hostile requests.\n' +
        'The server runs with its defaults (SHEWHART_REQUEST_TIMEOUT_MS, SHEWHART_MAX_MEMORY_BYTES) unless set.\n',
    );
    return;
  }
  const total = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const seed = Number(values.seed);
  const deadlineMs = Number(process.env.SHEWHART_REQUEST_TIMEOUT_MS ?? 30_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-hostile-'));
  const server = await startDemoServer(dataDir, ['--weeks', String(values.weeks)]);
  const pid = server.child.pid as number;
  try {
    const routes = await routesOf(server.url);
    const kpis = (
      (await (await fetch(`${server.url}/v1/kpis`)).json()) as { kpis: { id: string }[] }
    ).kpis.map((k) => k.id);
    const arbitrary = hostileRequests(routes, {
      bigBodies: true,
      knownKpis: kpis,
      knownTeams: ['payments', 'mobile', 'platform', 'data'],
    });
    process.stdout.write(
      `hostile: ${total} requests, concurrency ${concurrency}, seed ${seed}, ${routes.length} routes, server ${server.url} (pid ${pid}), deadline ${deadlineMs} ms\n`,
    );
    const byStatus = new Map<number, number>();
    const latencies: number[] = [];
    const fivexx: string[] = [];
    const late: string[] = [];
    const windows: { at: number; done: number; rss: number }[] = [];
    let done = 0;
    let batch = 0;
    let queue: HostileRequest[] = [];
    const next = (): HostileRequest | undefined => {
      if (queue.length === 0)
        queue = fc.sample(arbitrary, { numRuns: 500, seed: seed * 1_000_003 + batch++ });
      return queue.pop();
    };
    const started = performance.now();
    let sent = 0;
    const sampler = setInterval(() => {
      windows.push({ at: performance.now() - started, done, rss: memoryOf(pid).rss });
    }, 10_000);
    const worker = async () => {
      while (sent < total) {
        sent++;
        const req = next() as HostileRequest;
        const res = await sendRaw(server.url, req, deadlineMs + 10_000);
        done++;
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
        latencies.push(res.ms);
        const what = `${req.method} ${req.path.slice(0, 160)} (${req.body?.length ?? 0} bytes) → ${res.status} ${res.body.slice(0, 160)} ${res.error ?? ''}`;
        if (res.status >= 500) fivexx.push(what);
        if (res.status === 0 || res.ms > deadlineMs) late.push(`${Math.round(res.ms)} ms ${what}`);
        if (done % 10_000 === 0) {
          process.stdout.write(
            `  ${done} done, ${(done / ((performance.now() - started) / 1000)).toFixed(0)} req/s, RSS ${mib(memoryOf(pid).rss)}\n`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const { peak } = memoryOf(pid);
    latencies.sort((a, b) => a - b);
    const statuses = [...byStatus.entries()].sort(([a], [b]) => a - b);
    const lines = [
      '',
      `requests: ${done} in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(0)} req/s)`,
      `by status: ${statuses.map(([s, n]) => `${s === 0 ? 'no answer' : s}: ${n}`).join(', ')}`,
      `5xx: ${fivexx.length}`,
      `no answer or later than the deadline (${deadlineMs} ms): ${late.length}`,
      `latency ms: p50 ${percentile(latencies, 0.5).toFixed(1)}, p95 ${percentile(latencies, 0.95).toFixed(1)}, p99 ${percentile(latencies, 0.99).toFixed(1)}, max ${(latencies.at(-1) ?? 0).toFixed(0)}`,
      `server peak RSS: ${mib(peak)}`,
      'requests/s per 10 s window (RSS at its end):',
      ...windows.map((w, i) => {
        const prev = windows[i - 1] ?? { at: 0, done: 0 };
        return `  ${(w.at / 1000).toFixed(0).padStart(5)} s  ${((w.done - prev.done) / ((w.at - prev.at) / 1000)).toFixed(0).padStart(5)} req/s  ${mib(w.rss)}`;
      }),
      ...(fivexx.length > 0 ? ['5xx answers (first 20):', ...fivexx.slice(0, 20).map((l) => `  ${l}`)] : []),
      ...(late.length > 0
        ? ['late or unanswered (first 20):', ...late.slice(0, 20).map((l) => `  ${l}`)]
        : []),
      '',
    ];
    process.stdout.write(lines.join('\n'));
    if (fivexx.length > 0) process.stderr.write(`server log tail:\n${server.logs().slice(-5000)}\n`);
  } finally {
    const code = await stop(server.child);
    process.stdout.write(`server stopped (exit ${code})\n`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
