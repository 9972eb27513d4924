import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deliveriesQueue,
  listDeliveries,
  listDeliveryRetries,
  obliterateQueues,
  retryDeliveries,
  signatureMatches,
} from '@shewhart/alerts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';
import { cfrShift, mondayWeeksAgo } from './support/shift.js';
import { eventually } from './support/wait.js';

/**
 * Delivery through BullMQ on the real Redis (127.0.0.1:6379), queues under a prefix of this file's own:
 * a receiver that answers 503 twice and then 204 gets the alert on the third attempt, with the same
 * delivery id each time, and the BullMQ job id is that delivery id. A second route's receiver is down:
 * its delivery exhausts its attempts, its job stays failed in Redis, and a re-send runs that same job
 * again (same id) — while still down, a new round that fails again; once up, re-sent without a queue
 * (as a command with no server does) and picked up by `resume()` at the next boot.
 */
process.env.SHEWHART_TEST_ALERT_SECRET_BULL = 'bull-secret';
const PREFIX = `shewhart-test-${randomUUID().slice(0, 8)}`;
const seen: string[] = [];
/** Messages to the second route: delivery id and whether the signature matched. */
const downSeen: { id: string; signed: boolean }[] = [];
let up = false;
let receiver: Server;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
/** The second route's delivery of the alert (its receiver is down until `up`). */
let downId = '';
let dir: string;

const WEEK0 = mondayWeeksAgo(30);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const id = String(req.headers['x-shewhart-delivery']);
      if (req.url === '/down') {
        const signature = req.headers['x-shewhart-signature'] as string | undefined;
        downSeen.push({ id, signed: signatureMatches(raw, signature, 'bull-secret') });
        res.writeHead(up ? 204 : 503).end();
        return;
      }
      seen.push(id);
      res.writeHead(seen.length <= 2 ? 503 : 204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-bull-'));
  const file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
alerts:
  routes:
    - id: flaky
      type: webhook
      url: http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook
      secretEnv: SHEWHART_TEST_ALERT_SECRET_BULL
      retry: { attempts: 5, backoffMs: 100 }
    - id: down
      type: webhook
      url: http://127.0.0.1:${(receiver.address() as AddressInfo).port}/down
      secretEnv: SHEWHART_TEST_ALERT_SECRET_BULL
      retry: { attempts: 2, backoffMs: 50 }
  rules:
    - id: cfr
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [flaky, down]
`,
  );
  rt = await startTestRuntime({
    SHEWHART_CONFIG: file,
    SHEWHART_ALERT_QUEUE: 'bullmq',
    SHEWHART_QUEUE_PREFIX: PREFIX,
    SHEWHART_BASELINE_REFRESH_MS: '600000',
    SHEWHART_ALERT_EVALUATE_MS: '600000',
  });
});

afterAll(async () => {
  await rt?.dispose();
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
  await obliterateQueues('redis://127.0.0.1:6379', PREFIX);
});

it('a receiver failing twice then succeeding gets the alert, with the same delivery id each time', async () => {
  const events = cfrShift('a', WEEK0);
  expect((await rt.post(events)).status).toBe(202);
  const refreshed = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(refreshed.status).toBe(200);
  const r = await rt.alerting?.evaluateNow();
  expect(r?.opened).toBe(1);
  const deliveryId = r?.deliveries.find((d) => d.routeId === 'flaky')?.deliveryId as string;
  downId = r?.deliveries.find((d) => d.routeId === 'down')?.deliveryId as string;

  const deadline = Date.now() + 30_000;
  let state = '';
  while (state !== 'delivered' && Date.now() < deadline) {
    state = (await listDeliveries(rt.warehouse.client, { ids: [deliveryId] }))[0]?.state ?? '';
    await new Promise((res) => setTimeout(res, 50));
  }
  expect(state).toBe('delivered');
  expect(seen).toEqual([deliveryId, deliveryId, deliveryId]);
  const [d] = await listDeliveries(rt.warehouse.client, { ids: [deliveryId] });
  expect(d).toMatchObject({ attempts: 3, lastStatus: 204, lastError: '' });

  const { queue, close } = deliveriesQueue({ redisUrl: 'redis://127.0.0.1:6379', prefix: PREFIX });
  try {
    const job = await queue.getJob(deliveryId);
    expect(job?.id).toBe(deliveryId);
    expect(job?.attemptsMade).toBe(3);
    // Evaluating again enqueues nothing new: the transition was delivered once.
    expect((await rt.alerting?.evaluateNow())?.deliveries).toEqual([]);
    expect(seen).toHaveLength(3);
  } finally {
    await close();
  }
});

it('a failed delivery is re-sent through BullMQ under the same job and delivery id, its record truthful', async () => {
  const client = rt.warehouse.client;
  const row = async () => (await listDeliveries(client, { ids: [downId] }))[0];
  const { queue, close } = deliveriesQueue({ redisUrl: 'redis://127.0.0.1:6379', prefix: PREFIX });
  const jobState = async () => (await queue.getJob(downId))?.getState();
  try {
    // Down: 2 attempts, then failed — in ClickHouse and as the failed job BullMQ keeps.
    await eventually(
      'the failed job',
      async () => ((await jobState()) === 'failed' ? true : undefined),
      30_000,
    );
    expect(await row()).toMatchObject({ state: 'failed', attempts: 2, retries: 0, lastStatus: 503 });
    const failed = await fetch(`${rt.url}/v1/alerts/deliveries?state=failed`);
    expect(((await failed.json()) as { deliveries: { deliveryId: string }[] }).deliveries).toEqual([
      expect.objectContaining({ deliveryId: downId }),
    ]);

    // Re-sent through the API while still down: the same job runs a new round of 2 and fails again.
    const res = await fetch(`${rt.url}/v1/alerts/deliveries/${downId}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'ops' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      queue: 'bullmq',
      retried: [{ deliveryId: downId, retries: 1 }],
    });
    const again = await eventually(
      'the second round to fail',
      async () => {
        const d = await row();
        return d?.state === 'failed' && d.attempts === 4 ? d : undefined;
      },
      30_000,
    );
    expect(again).toMatchObject({ roundStart: 2, retries: 1 });
    expect(again.lastError).toMatch(/after 2 attempts; 4 in all/);
    await eventually('the job failed again', async () =>
      (await jobState()) === 'failed' ? true : undefined,
    );

    // Fixed. Re-sent with no queue at hand (a command while no server runs): the row is pending and the
    // job still failed until a runtime starts; its resume() retries that job.
    up = true;
    const direct = await retryDeliveries({ client }, { ids: [downId] }, 'quality lead');
    expect(direct).toMatchObject({ queue: null, retried: [{ deliveryId: downId, state: 'pending' }] });
    expect(await jobState()).toBe('failed');
    expect(await rt.alerting?.deliveries.resume()).toBe(1);
    const done = await eventually(
      'the re-sent delivery',
      async () => {
        const d = await row();
        return d?.state === 'delivered' ? d : undefined;
      },
      30_000,
    );
    expect(done).toMatchObject({ attempts: 5, roundStart: 4, retries: 2, lastStatus: 204, lastError: '' });
    const job = await eventually('the completed job', async () => {
      const j = await queue.getJob(downId);
      return j && (await j.isCompleted()) ? j : undefined;
    });
    expect(job.id).toBe(downId);
    expect(job.attemptsMade).toBe(1);
    // Every attempt carried the same delivery id, signed; the history says who re-sent it and why.
    expect(downSeen).toHaveLength(5);
    expect(downSeen.every((m) => m.id === downId && m.signed)).toBe(true);
    expect((await listDeliveryRetries(client, downId)).map((h) => [h.by, h.attempts, h.lastStatus])).toEqual([
      ['ops', 2, 503],
      ['quality lead', 4, 503],
    ]);
    // Delivered is final.
    const conflict = await fetch(`${rt.url}/v1/alerts/deliveries/${downId}/retry`, { method: 'POST' });
    expect(conflict.status).toBe(409);
  } finally {
    await close();
  }
});
