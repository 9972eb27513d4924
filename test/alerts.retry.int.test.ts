import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Delivery,
  listDeliveries,
  listDeliveryRetries,
  type Receiver,
  startReceiver,
} from '@shewhart/alerts';
import { createLogger, loadConfig } from '@shewhart/config';
import { type EmbeddedRuntime, startEmbedded } from '@shewhart/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { ev, startTestRuntime } from './support/embedded.js';
import { cfrShift, mondayWeeksAgo } from './support/shift.js';
import { eventually } from './support/wait.js';

/**
 * Re-sending failed deliveries on the embedded default (in-process runner, real chDB, a local receiver
 * that checks every signature). Two routes to one receiver; while it is down both deliveries of the
 * alert exhaust their 2 attempts and stay failed. A re-send through the API while it is still down
 * runs a new round of 2 and fails again; once it is up, `alerts deliveries retry --all-failed` re-sends
 * both and they arrive — always under their own delivery id, with the attempt count and the re-sends
 * kept truthful. Unknown ids answer 404 naming them; a delivered one, 409. Then, with no
 * server running, the command re-sends the failed resolutions straight in the data directory: they
 * stay pending, and the next `start` on that directory sends them.
 */
const SECRET = 'retry-test-secret';
process.env.SHEWHART_TEST_RETRY_SECRET = SECRET;

let up = false;
let receiver: Receiver;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
/** The second start on the same data directory (the last test). */
let restarted: EmbeddedRuntime | undefined;
let stopped = false;
let dir: string;
let file: string;

const DAY = 86_400_000;
const WEEK0 = mondayWeeksAgo(30);

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET, respond: () => (up ? 204 : 503) });
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-retry-'));
  file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
alerts:
  routes:
    - id: first
      type: webhook
      url: ${receiver.url}/hooks/first
      secretEnv: SHEWHART_TEST_RETRY_SECRET
      retry: { attempts: 2, backoffMs: 20 }
    - id: second
      type: webhook
      url: ${receiver.url}/hooks/second
      secretEnv: SHEWHART_TEST_RETRY_SECRET
      retry: { attempts: 2, backoffMs: 20 }
  rules:
    - id: cfr
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [first, second]
`,
  );
  rt = await startTestRuntime({
    SHEWHART_CONFIG: file,
    SHEWHART_BASELINE_REFRESH_MS: '600000',
    SHEWHART_ALERT_EVALUATE_MS: '600000',
  });
});

afterAll(async () => {
  await restarted?.shutdown();
  if (stopped) rmSync(rt.dataDir, { recursive: true, force: true });
  else await rt?.dispose();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The real CLI, asynchronously (the server under test lives in this process). */
const cli = (...args: string[]) => runCli(args, { SHEWHART_DATA_DIR: join(dir, 'unused') });

const post = async (path: string, body?: unknown) => {
  const res = await fetch(`${rt.url}${path}`, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the assertions walk the JSON answer freely
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const rows = async (ids: string[]) =>
  new Map((await listDeliveries(rt.warehouse.client, { ids })).map((d) => [d.deliveryId, d]));

/** Waits until every delivery named has left `pending`, and returns them. */
const settled = (ids: string[]) =>
  eventually(
    'the deliveries to settle',
    async () => {
      const m = await rows(ids);
      return ids.every((id) => m.get(id) && m.get(id)?.state !== 'pending') ? m : undefined;
    },
    30_000,
  );

const arrivals = (id: string) => receiver.messages.filter((m) => m.deliveryId === id);

it('re-sends failed deliveries under the same delivery id, with a new round of attempts and a truthful record', async () => {
  const events = cfrShift('r', WEEK0);
  expect((await rt.post(events)).status).toBe(202);
  expect((await post('/v1/baselines/refresh', {})).status).toBe(200);
  const r = await rt.alerting?.evaluateNow();
  expect(r?.opened).toBe(1);
  const byRoute = new Map((r?.deliveries ?? []).map((d) => [d.routeId, d.deliveryId]));
  const first = byRoute.get('first') as string;
  const second = byRoute.get('second') as string;
  expect(first).toMatch(/^[0-9a-f]{32}$/);
  expect(second).toMatch(/^[0-9a-f]{32}$/);

  // The receiver is down: both exhaust their 2 attempts and stay failed, listed by the CLI.
  let m = await settled([first, second]);
  for (const id of [first, second])
    expect(m.get(id)).toMatchObject({
      state: 'failed',
      attempts: 2,
      roundStart: 0,
      retries: 0,
      lastStatus: 503,
    });
  const failed = await cli('alerts', 'deliveries', '--failed', '--url', rt.url);
  expect({ code: failed.code, err: failed.err }).toEqual({ code: 1, err: '' });
  expect(failed.out).toContain(first);
  expect(failed.out).toContain(second);

  // Refusals through the one error map, changing nothing.
  const unknown = 'f'.repeat(32);
  const missing = await post(`/v1/alerts/deliveries/${unknown}/retry`, {});
  expect(missing.status).toBe(404);
  expect(missing.body).toMatchObject({ error: 'not_found' });
  expect(missing.body.message).toContain(unknown);
  const malformed = await post('/v1/alerts/deliveries/not-an-id/retry', {});
  expect(malformed.status).toBe(400);
  expect(malformed.body.message).toMatch(/not a delivery id/);
  const cliMissing = await cli('alerts', 'deliveries', 'retry', unknown, '--url', rt.url);
  expect(cliMissing.code).not.toBe(0);
  expect(cliMissing.err).toContain(`no delivery ${unknown}`);

  // A re-send through the API while the receiver is still down: a new round of 2 attempts, failed again.
  const again = await post(`/v1/alerts/deliveries/${first}/retry`, { by: 'ops on call' });
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ queue: 'inline', retried: [{ deliveryId: first, state: 'pending' }] });
  m = await settled([first]);
  expect(m.get(first)).toMatchObject({ state: 'failed', attempts: 4, roundStart: 2, retries: 1 });
  expect(m.get(first)?.lastError).toMatch(/after 2 attempts; 4 in all/);
  expect(arrivals(first)).toHaveLength(4);

  // The receiver is fixed: one command re-sends every failed delivery, and both arrive.
  up = true;
  const all = await cli(
    'alerts',
    'deliveries',
    'retry',
    '--all-failed',
    '--by',
    'quality lead',
    '--url',
    rt.url,
  );
  expect(all.err).toBe('');
  expect(all.code).toBe(0);
  expect(all.out).toMatch(/^re-sent 2 failed deliveries under the same delivery id/);
  expect(all.out).toContain(first);
  expect(all.out).toContain(second);
  m = await settled([first, second]);
  expect(m.get(first)).toMatchObject({
    state: 'delivered',
    attempts: 5,
    roundStart: 4,
    retries: 2,
    lastStatus: 204,
    lastError: '',
  });
  expect(m.get(second)).toMatchObject({ state: 'delivered', attempts: 3, roundStart: 2, retries: 1 });

  // Every attempt carried the delivery's own id and a valid signature over the same bytes.
  for (const [id, n] of [
    [first, 5],
    [second, 3],
  ] as const) {
    const seen = arrivals(id);
    expect(seen).toHaveLength(n);
    expect(seen.every((s) => s.signatureOk === true && s.body.id === id)).toBe(true);
    expect(new Set(seen.map((s) => s.raw)).size).toBe(1);
  }
  expect(receiver.messages.map((s) => s.path).sort()).toEqual([
    ...Array(5).fill('/hooks/first'),
    ...Array(3).fill('/hooks/second'),
  ]);

  // The history of re-sends: who asked, and the failure each one answered.
  const history = await listDeliveryRetries(rt.warehouse.client, first);
  expect(history).toEqual([
    expect.objectContaining({ by: 'ops on call', attempts: 2, lastStatus: 503 }),
    expect.objectContaining({ by: 'quality lead', attempts: 4, lastStatus: 503 }),
  ]);
  expect(history[1]?.lastError).toMatch(/receiver answered 503/);

  // Delivered is final: a re-send is refused with 409 and changes nothing; none is left failed.
  const conflict = await post(`/v1/alerts/deliveries/${second}/retry`);
  expect(conflict.status).toBe(409);
  expect(conflict.body).toMatchObject({ error: 'conflict' });
  expect(conflict.body.message).toContain(`delivery ${second} was delivered`);
  const none = await cli('alerts', 'deliveries', 'retry', '--all-failed', '--url', rt.url);
  expect(none.code).toBe(0);
  expect(none.out).toContain('no failed deliveries');
  const listed = await cli('alerts', 'deliveries', '--format', 'json', '--url', rt.url);
  const json = JSON.parse(listed.out) as { deliveries: Delivery[] };
  expect(json.deliveries.map((d) => [d.deliveryId, d.state, d.attempts, d.retries]).sort()).toEqual(
    [
      [first, 'delivered', 5, 2],
      [second, 'delivered', 3, 1],
    ].sort(),
  );
  expect((await cli('alerts', 'deliveries', '--failed', '--url', rt.url)).code).toBe(0);
});

it('with no server running, a re-send waits pending in the data directory and the next start sends it', async () => {
  // Eight quiet weeks end the episode; the receiver is down again, so both resolutions fail.
  up = false;
  const events = [];
  for (let w = 21; w < 29; w++) {
    for (let k = 0; k < 10; k++) {
      events.push(
        ev(
          'delivery.deployment',
          { deploymentId: `r-${w}-${k}`, environment: 'production', status: k < 2 ? 'failed' : 'success' },
          { time: new Date(WEEK0 + (w * 7 + (k % 5)) * DAY + 3_600_000).toISOString(), team: 'alpha' },
        ),
      );
    }
  }
  expect((await rt.post(events)).status).toBe(202);
  expect((await post('/v1/baselines/refresh', {})).status).toBe(200);
  const r = await rt.alerting?.evaluateNow();
  expect(r?.resolved).toBe(1);
  const ids = (r?.deliveries ?? []).map((d) => d.deliveryId);
  expect(ids).toHaveLength(2);
  const m = await settled(ids);
  for (const id of ids)
    expect(m.get(id)).toMatchObject({ state: 'failed', transition: 'resolved', attempts: 2 });

  // The server stops; the command opens the directory itself. Nothing runs deliveries there, so it says
  // they wait for the next start. Asked again while pending, it hands the row over again (idempotent):
  // still one re-send, one history row.
  await rt.shutdown();
  stopped = true;
  up = true;
  const one = await cli('alerts', 'deliveries', 'retry', ids[0] as string, '--data', rt.dataDir, '--by', 'x');
  expect(one.code).toBe(0);
  expect(one.out).toContain('re-sent 1 failed delivery');
  const again = await cli('alerts', 'deliveries', 'retry', ids[0] as string, '--data', rt.dataDir);
  expect(again.code).toBe(0);
  expect(again.out).toContain(`${ids[0]}`);
  expect(again.out).toContain('re-send 1)');
  const rest = await cli('alerts', 'deliveries', 'retry', '--all-failed', '--data', rt.dataDir);
  expect(rest.code).toBe(0);
  expect(rest.out).toContain('re-sent 1 failed delivery');
  expect(rest.out).toContain(ids[1]);
  expect(rest.out).toContain('pending: `shewhart start` (or a worker) sends them when it starts');
  expect(receiver.messages.filter((x) => x.body.status === 'resolved')).toHaveLength(4);

  // The next start on the directory resumes them: each arrives under its own id, signed.
  restarted = await startEmbedded({
    config: loadConfig({
      SHEWHART_DATA_DIR: rt.dataDir,
      PORT: '0',
      SHEWHART_CONFIG: file,
      SHEWHART_BASELINE_REFRESH_MS: '600000',
      SHEWHART_ALERT_EVALUATE_MS: '600000',
    }),
    logger: createLogger('silent', { pretty: false }),
  });
  const client = restarted.storage.warehouse.client;
  const done = await eventually(
    'the resumed re-sends',
    async () => {
      const rows = await listDeliveries(client, { ids });
      return rows.length === 2 && rows.every((d) => d.state === 'delivered') ? rows : undefined;
    },
    30_000,
  );
  for (const d of done) expect(d).toMatchObject({ attempts: 3, roundStart: 2, retries: 1, lastStatus: 204 });
  // One re-send each, however often it was asked for.
  for (const id of ids) expect(await listDeliveryRetries(client, id)).toHaveLength(1);
  for (const id of ids) {
    expect(arrivals(id)).toHaveLength(3);
    expect(arrivals(id).every((x) => x.signatureOk === true && x.body.status === 'resolved')).toBe(true);
  }
});
