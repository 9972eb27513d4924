/**
 * SIGKILL mid-delivery loses no alert: `shewhart start` (the embedded default, a child process) sends a
 * signal alert to a receiver that holds the request without answering; the process is killed with
 * SIGKILL while the attempt is in flight, then started again on the same data directory. The pending
 * delivery row (written before the first attempt) is resumed and the receiver gets the same message —
 * same delivery id, same bytes, valid signature.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Delivery, type ReceivedMessage, type Receiver, startReceiver } from '@shewhart/alerts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cfrShift, mondayWeeksAgo } from './support/shift.js';
import { eventually } from './support/wait.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = 'crash-test-secret';
let receiver: Receiver;
let dir: string;
const children = new Set<ChildProcess>();
/** The first message is held unanswered until the test ends (the sender is killed meanwhile). */
let stalled: ((status: number) => void) | undefined;

const WEEK0 = mondayWeeksAgo(30);

async function start(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'start', '--data', join(dir, 'data'), '--port', '0'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        LOG_LEVEL: 'warn',
        SHEWHART_CONFIG: join(dir, 'shewhart.yaml'),
        SHEWHART_TEST_CRASH_SECRET: SECRET,
        SHEWHART_BASELINE_REFRESH_MS: '200',
        SHEWHART_ALERT_EVALUATE_MS: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString()).slice(-5_000);
  });
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no banner within 120 s:\n${out}\n${err}`)), 120_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Send events: POST (http:\/\/[^/\s]+)\/v1\/events/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1] as string);
      }
    });
    child.once('exit', (code) => fail(new Error(`start exited with ${code}:\n${out}\n${err}`)));
  });
  return { child, url };
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r(child.signalCode ?? child.exitCode);
    else child.once('exit', (code, signal) => r(signal ?? code));
  });

beforeAll(async () => {
  receiver = await startReceiver({
    secret: SECRET,
    respond: () =>
      stalled === undefined
        ? new Promise<number>((r) => {
            stalled = r;
          })
        : 204,
  });
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-crash-'));
  writeFileSync(
    join(dir, 'shewhart.yaml'),
    `version: 2
alerts:
  routes:
    - id: local
      type: webhook
      url: ${receiver.url}/hooks/quality
      secretEnv: SHEWHART_TEST_CRASH_SECRET
      retry: { attempts: 5, backoffMs: 200 }
  rules:
    - id: cfr
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [local]
`,
  );
});

afterAll(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await exited(child);
  }
  stalled?.(204);
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a delivery in flight when the process is SIGKILLed arrives after the restart, with the same id and bytes', async () => {
  const first = await start();
  const events = cfrShift('crash', WEEK0);
  const res = await fetch(`${first.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(202);
  const held: ReceivedMessage = await eventually(
    'the first attempt',
    () => (stalled ? receiver.messages[0] : undefined),
    60_000,
  );
  expect(held.body).toMatchObject({ class: 'signal', status: 'firing', kpi: 'change_failure_rate' });
  first.child.kill('SIGKILL');
  expect(await exited(first.child)).toBe('SIGKILL');

  const second = await start();
  const resent = await eventually('the re-sent message', () => receiver.messages[1], 60_000);
  expect(resent.deliveryId).toBe(held.deliveryId);
  expect(resent.raw).toBe(held.raw);
  expect(resent.signatureOk).toBe(true);
  expect(resent.repeat).toBe(false); // the receiver never answered the first: nothing to drop

  // The record: delivered by the second process; the killed attempt was never recorded.
  const delivery = await eventually('the delivered row', async () => {
    const r = await fetch(`${second.url}/v1/alerts/deliveries?alertId=${held.body.alertId}`);
    const { deliveries } = (await r.json()) as { deliveries: Delivery[] };
    return deliveries.find((d) => d.state === 'delivered');
  });
  expect(delivery).toMatchObject({ deliveryId: held.deliveryId, transition: 'firing', attempts: 1 });
  expect(receiver.messages).toHaveLength(2);
  second.child.kill('SIGTERM');
  expect(await exited(second.child)).toBe(0);
}, 240_000);
