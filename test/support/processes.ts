/**
 * The scaled services as real child processes (`node --import tsx services/<name>/src/main.ts`) for
 * the `*.kafka.int.test.ts` files and the kafka benchmark: start with an environment, read the address
 * each prints on stdout, scrape /metrics, stop gracefully (SIGTERM) or kill (SIGKILL). Every process
 * started here is tracked, so `killAll()` in `afterAll` leaves nothing behind.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const live = new Set<ChildProcess>();

export type ServiceName = 'collector' | 'worker';

export interface ServiceProcess {
  name: ServiceName;
  pid: number;
  /** Base URL (collector: API; worker: /healthz, /readyz, /metrics). */
  url: string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** The last lines the process wrote to stderr (its logs), for failure messages. */
  logs(): string;
  /** SIGKILL: no shutdown at all, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then the exit code; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Environment shared by all test services; callers add brokers, prefix, data dir and group. */
export function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: 'warn',
    SHEWHART_HOST: '127.0.0.1',
    PORT: '0',
    SHEWHART_WORKER_PORT: '0',
  };
}

export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  startTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    cwd: root,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolveExit(code);
    });
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const logs = () => stderr.split('\n').slice(-30).join('\n');
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report its address within ${startTimeoutMs} ms\n${logs()}`));
    }, startTimeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /listening on (\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} while starting\n${logs()}`));
    });
  });
  return {
    name,
    pid: child.pid as number,
    url,
    exited,
    logs,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async (timeoutMs = 30_000) => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** SIGKILLs every service still running (afterAll). */
export async function killAll(): Promise<void> {
  const waits = [...live].map(
    (child) =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

/** Parses a Prometheus text exposition into `name{labels}` → value. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** Messages the worker has finished with (stored + duplicate + dead-lettered) since it started. */
export async function handledBy(worker: ServiceProcess): Promise<number> {
  const m = await scrape(worker.url);
  return ['stored', 'duplicate', 'rejected'].reduce(
    (sum, o) => sum + (m.get(`shewhart_worker_events_total{outcome="${o}"}`) ?? 0),
    0,
  );
}

/** Total uncommitted messages of the group (every partition), or undefined while unknown. */
export async function groupLag(worker: ServiceProcess): Promise<number | undefined> {
  const m = await scrape(worker.url);
  const lags = [...m].filter(([k]) => k.startsWith('shewhart_worker_consumer_lag{'));
  return lags.length === 0 ? undefined : lags.reduce((s, [, v]) => s + v, 0);
}

export async function isReady(service: ServiceProcess): Promise<boolean> {
  try {
    return (await fetch(`${service.url}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

const run = promisify(execFile);

/** Runs read queries against a stopped worker's embedded store (in a child process, see store-query.ts). */
export async function queryStore<T = Record<string, unknown>>(
  dataDir: string,
  ...sql: string[]
): Promise<T[][]> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'test/support/store-query.ts', dataDir, ...sql],
    {
      cwd: root,
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as T[][];
}

/** POSTs events to the collector; returns the status and the Retry-After header. */
export async function postEvents(
  collector: { url: string },
  events: unknown[],
): Promise<{ status: number; retryAfter: string | null; body: unknown }> {
  const res = await fetch(`${collector.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  const body = await res.json().catch(() => null);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
}

/** A valid `feedback.survey` event: small, and the same shape the benchmark sends. */
export function surveyEvent(source: string, id: string, team = 'alpha') {
  return {
    id,
    source,
    type: 'feedback.survey',
    time: '2026-03-02T10:00:00Z',
    team,
    data: { scale: 'nps_0_10', score: (id.length * 7) % 11, customerId: `c-${id}` },
  };
}
