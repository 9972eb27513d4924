import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliveriesQueue, listDeliveries, obliterateQueues } from '@shewhart/alerts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Delivery through BullMQ on the real Redis (127.0.0.1:6379), queues under a prefix of this file's own:
 * a receiver that answers 503 twice and then 204 gets the alert on the third attempt, with the same
 * delivery id each time, and the BullMQ job id is that delivery id.
 */
process.env.SHEWHART_TEST_ALERT_SECRET_BULL = 'bull-secret';
const PREFIX = `shewhart-test-${randomUUID().slice(0, 8)}`;
const seen: string[] = [];
let receiver: Server;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;

const DAY = 86_400_000;
const now = new Date();
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
const WEEK0 = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY - 30 * 7 * DAY;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(String(req.headers['x-shewhart-delivery']));
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
  rules:
    - id: cfr
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [flaky]
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
  const events = [];
  for (let w = 0; w < 21; w++) {
    for (let k = 0; k < 10; k++) {
      events.push(
        ev(
          'delivery.deployment',
          {
            deploymentId: `a-${w}-${k}`,
            environment: 'production',
            status: k < (w === 20 ? 7 : 2) ? 'failed' : 'success',
          },
          { time: new Date(WEEK0 + (w * 7 + (k % 5)) * DAY + 3_600_000).toISOString(), team: 'alpha' },
        ),
      );
    }
  }
  expect((await rt.post(events)).status).toBe(202);
  const refreshed = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(refreshed.status).toBe(200);
  const r = await rt.alerting?.evaluateNow();
  expect(r?.opened).toBe(1);
  const deliveryId = r?.deliveries[0]?.deliveryId as string;

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
