/**
 * The embedded server as a real child process, started the way an operator starts it
 * (`shewhart start --data DIR --port P`, entry packages/cli/src/main.ts), for tests that kill it
 * (SIGKILL, as in a crash) and start it again on the same data directory. Every process started here is
 * tracked, so `killServers()` in `afterAll` leaves nothing behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const live = new Set<ChildProcess>();

export interface ServerProcess {
  pid: number;
  url: string;
  exited: Promise<number | null>;
  /** Everything the process logged (stderr, JSON lines), for counts and failure messages. */
  logs(): string;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
  /** SIGTERM (graceful: drain, flush, close), then the exit code; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Starts `shewhart start` on `dataDir` (port 0: any free port) and resolves once it serves. */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  startTimeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'start', '--data', dataDir, '--port', '0'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        SHEWHART_HOST: '127.0.0.1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  live.add(child);
  const exited = new Promise<number | null>((r) => {
    child.once('exit', (code) => {
      live.delete(child);
      r(code);
    });
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within ${startTimeoutMs} ms\n${stderr.slice(-4_000)}`));
    }, startTimeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /running at (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} while starting\n${stderr.slice(-4_000)}`));
    });
  });
  return {
    pid: child.pid as number,
    url,
    exited,
    logs: () => stderr,
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

/** SIGKILLs every server still running (afterAll). */
export async function killServers(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((r) => {
          child.once('exit', () => r());
          child.kill('SIGKILL');
        }),
    ),
  );
}
