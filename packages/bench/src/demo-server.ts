import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** VmRSS and VmHWM (peak) of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

export interface DemoServer {
  child: ChildProcess;
  url: string;
  /** The last 20,000 characters the server logged (stderr). */
  logs(): string;
  /** How many times the server logged this message so far (JSON log lines' `msg`). */
  count(msg: string): number;
}

/**
 * A real server for a benchmark: `shewhart start --demo` as a child process on `dataDir` and a free port,
 * with `args` after `--demo` (e.g. `--weeks 26`) and `env` over this process's environment (LOG_LEVEL
 * defaults to warn). Resolves with its address once the start banner printed it; rejects with the log
 * tail if the server exits first. Stop it with SIGTERM (`stop`).
 */
export async function startDemoServer(
  dataDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<DemoServer> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'packages/cli/src/main.ts',
      'start',
      '--data',
      dataDir,
      '--port',
      '0',
      '--demo',
      ...args,
    ],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const counts = new Map<string, number>();
  let stderr = '';
  let onBanner: (url: string) => void = () => undefined;
  const lines = (stream: NodeJS.ReadableStream | null, keep: boolean) => {
    let buffer = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (c: string) => {
      if (keep) stderr = (stderr + c).slice(-20_000);
      buffer += c;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /"msg":"([^"]+)"/.exec(line);
        if (m?.[1]) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
        const u = /running at (http:\/\/\S+?)\s/.exec(`${line} `);
        if (u?.[1]) onBanner(u[1].replace(/\.$/, ''));
        nl = buffer.indexOf('\n');
      }
    });
  };
  lines(child.stdout, false);
  lines(child.stderr, true);
  const url = await new Promise<string>((resolveUrl, reject) => {
    onBanner = resolveUrl;
    child.once('exit', (code) => reject(new Error(`server exited with ${code} while starting\n${stderr}`)));
  });
  return { child, url, logs: () => stderr, count: (msg) => counts.get(msg) ?? 0 };
}

/** SIGTERM, then the exit code. */
export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r(child.exitCode);
    child.once('exit', (code) => r(code));
    child.kill('SIGTERM');
  });
}
