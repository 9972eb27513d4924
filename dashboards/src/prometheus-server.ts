/**
 * A Prometheus of the tests' own: Debian's `prometheus` package (which `.ci/run` installs; only its
 * binaries, never its service) started as a child process on 127.0.0.1, a free port, a storage directory of
 * the test and a scrape configuration the test writes. Prometheus reads YAML, and JSON is YAML, so the
 * configuration is written as JSON.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

/** The path of `prometheus` or `promtool`; fails saying where it comes from when it is not installed. */
export function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    `${name} is not on PATH: .ci/run installs it (Debian's prometheus package: apt-get install prometheus)`,
  );
}

/** Runs `promtool check config <file>`: the exit code and what it printed. */
export async function promtoolCheckConfig(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      prometheusBinary('promtool'),
      ['check', 'config', file],
      {
        timeout: 30_000,
      },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** A port nothing listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface ScrapeJob {
  job_name: string;
  metrics_path: string;
  /** `host:port` of each process to scrape. */
  targets: string[];
}

export interface PrometheusProcess {
  /** Base URL of its HTTP API (`/api/v1/…`). */
  url: string;
  /** The last lines it logged, for failure messages. */
  logs(): string;
  /** SIGTERM, then SIGKILL if it has not exited after 10 s. */
  stop(): Promise<void>;
}

/**
 * Starts Prometheus scraping `jobs` every `scrapeInterval` (the timeout is the interval), with its TSDB in
 * `dir/data`; resolves once `/-/ready` answers. Fails with its log if it exits first.
 */
export async function startPrometheus(options: {
  dir: string;
  jobs: ScrapeJob[];
  scrapeInterval: string;
}): Promise<PrometheusProcess> {
  const bin = prometheusBinary('prometheus');
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  const configFile = join(options.dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    JSON.stringify(
      {
        global: {
          scrape_interval: options.scrapeInterval,
          scrape_timeout: options.scrapeInterval,
          evaluation_interval: options.scrapeInterval,
        },
        scrape_configs: options.jobs.map((j) => ({
          job_name: j.job_name,
          metrics_path: j.metrics_path,
          static_configs: [{ targets: j.targets }],
        })),
      },
      null,
      2,
    ),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const lines: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    lines.push(...chunk.split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 50));
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const logs = () => lines.join('\n');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`prometheus exited (${exitCode}) before it was ready:\n${logs()}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready after 60 s:\n${logs()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    logs,
    stop: async () => {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface PromSeries {
  metric: Record<string, string>;
  /** Instant query: `[time, value]`. */
  value?: [number, string];
  /** Range query: `[time, value]` per step. */
  values?: [number, string][];
}

/** Grafana's duration syntax in data source settings (`15s`, `1m`), milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
