import { spawn } from 'node:child_process';

/**
 * Runs the real CLI (`packages/cli/src/main.ts`) as a child process, asynchronously: a server under test
 * living in the calling process keeps answering while the command runs (a synchronous spawn would block
 * it). `env` is laid over this process's environment; LOG_LEVEL defaults to error.
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    timeout: 60_000,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}
