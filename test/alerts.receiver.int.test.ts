/**
 * `shewhart receiver` (the other end of the demo's alert route): it finds the demo's key in the data
 * directory, accepts a correctly signed message, drops a repeat of its delivery id, refuses a forged
 * signature with 401 (which the sender does not retry), prints each, and refuses to start without a key.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { demoKey, signature } from '@shewhart/alerts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually } from './support/wait.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
let dir: string;
let child: ChildProcess;
let out = '';
let url = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shewhart-receiver-'));
  demoKey(dir);
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'receiver', '--port', '0', '--data', dir],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  url = await eventually('the receiver', () => /listening on (\S+)/.exec(out)?.[1], 30_000);
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const send = (body: string, id: string, sig: string) =>
  fetch(`${url}/hooks/quality`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shewhart-delivery': id, 'x-shewhart-signature': sig },
    body,
  }).then((r) => r.status);

it('accepts a signed message once, drops its repeat, refuses a forged one, and prints each', async () => {
  const key = demoKey(dir);
  const body = JSON.stringify({
    id: 'a'.repeat(32),
    status: 'firing',
    severity: 'warning',
    class: 'signal',
    evidence: { title: 'Change failure rate (payments, week): a point beyond 3σ (WE1)' },
    chartUrl: 'http://127.0.0.1:8080/v1/kpis/change_failure_rate/chart?period=week&team=payments',
  });
  expect(await send(body, 'a'.repeat(32), signature(body, key))).toBe(204);
  expect(await send(body, 'a'.repeat(32), signature(body, key))).toBe(204);
  expect(await send(body, 'b'.repeat(32), signature(body, 'not-the-key'))).toBe(401);
  await eventually('three lines', () => (out.includes('BAD SIGNATURE') ? true : undefined));
  expect(out).toContain('signed  firing  [warning] signal: Change failure rate (payments, week)');
  expect(out).toContain(`repeat of delivery ${'a'.repeat(32)}`);
  expect(out).toContain(`BAD SIGNATURE  refused (401)  delivery ${'b'.repeat(32)}`);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(out).toContain('3 requests, 1 alerts accepted, 1 repeats dropped, 1 refused');
});

it('refuses to start without a key, naming the variable and the demo key file', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'shewhart-receiver-nokey-'));
  try {
    const run = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'packages/cli/src/main.ts', 'receiver', '--port', '0', '--data', empty],
      { cwd: root, env },
    );
    await expect(run).rejects.toMatchObject({
      stderr: expect.stringContaining(`no signing key: set SHEWHART_DEMO_ALERT_KEY`),
    });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
