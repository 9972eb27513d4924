import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listDeliveries } from '@shewhart/alerts';
import { createLogger, loadConfig } from '@shewhart/config';
import { startEmbedded } from '@shewhart/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Alerts end to end on the embedded default (real chDB, in-process delivery to a local receiver).
 * Team alpha deploys 10 times a week; 2 of 10 fail (p = 0.2) for 20 weeks, which set firm limits
 * (UCL = 0.2 + 3·√(0.2·0.8/10) = 0.579). Week 20 has 7 failures: beyond the UCL, a Phase-II WE1 signal.
 * Weeks 21–28 are back at 2 of 10: the 8th quiet point (week 28) ends the episode. Week 0 is 40 weeks
 * before the current week, so week 40 is open.
 */
const SECRET = 'alerts-test-secret';
process.env.SHEWHART_TEST_ALERT_SECRET = SECRET;

interface Received {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
  // biome-ignore lint/suspicious/noExplicitAny: the payload is walked freely by the assertions
  body: any;
}

let receiver: Server;
const received: Received[] = [];
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;

const DAY = 86_400_000;
const now = new Date();
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
const thisMonday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
const WEEK0 = thisMonday - 40 * 7 * DAY;
const weekStart = (w: number) => new Date(WEEK0 + w * 7 * DAY).toISOString().slice(0, 10);
// Mondays and Tuesdays at 00:30 UTC: in the past even for the current week (tests run from Tuesday on).
const time = (w: number, k: number) => new Date(WEEK0 + (w * 7 + (k % 2)) * DAY + 30 * 60_000).toISOString();

function week(team: string, w: number, failures: number) {
  return Array.from({ length: 10 }, (_, k) =>
    ev(
      'delivery.deployment',
      {
        deploymentId: `${team}-w${w}-${k}`,
        environment: 'production',
        status: k < failures ? 'failed' : 'success',
      },
      { time: time(w, k), team },
    ),
  );
}

async function post(events: unknown[]) {
  expect((await rt.post(events)).status).toBe(202);
}

/** Stores baselines and signals now, then evaluates the alert rules (the refresher's hook does both). */
async function refreshAndEvaluate() {
  const res = await fetch(`${rt.url}/v1/baselines/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grains: ['week'] }),
  });
  expect(res.status).toBe(200);
  const r = await rt.alerting?.evaluateNow();
  if (!r) throw new Error('no evaluation');
  return r;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const get = async (path: string) => {
  const res = await fetch(`${rt.url}${path}`);
  // biome-ignore lint/suspicious/noExplicitAny: test assertions walk the JSON document freely
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-'));
  const file = join(dir, 'shewhart.yaml');
  // `night` is always in its quiet hours during the test: its messages wait (and are cancelled by an ack).
  const hour = now.getUTCHours();
  const pad = (h: number) => `${String((h + 24) % 24).padStart(2, '0')}:00`;
  writeFileSync(
    file,
    `version: 2
alerts:
  routes:
    - id: local
      type: webhook
      url: http://127.0.0.1:${port}/hooks/quality
      secretEnv: SHEWHART_TEST_ALERT_SECRET
      retry: { attempts: 3, backoffMs: 50 }
    - id: night
      type: webhook
      url: http://127.0.0.1:${port}/hooks/night
      secretEnv: SHEWHART_TEST_ALERT_SECRET
      quietHours: { from: "${pad(hour - 1)}", to: "${pad(hour + 3)}", tz: UTC }
  rules:
    - id: delivery-special-causes
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      severity: warning
      routes: [local, night]
`,
  );
  rt = await startTestRuntime({
    SHEWHART_CONFIG: file,
    SHEWHART_BASELINE_REFRESH_MS: '600000',
    SHEWHART_ALERT_EVALUATE_MS: '600000',
  });
});

afterAll(async () => {
  await rt?.dispose();
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('signal alerts on the embedded default', () => {
  let alertId = '';

  it('a shift raises one alert, delivered signed to the route, once however often evaluation runs', async () => {
    const events = [];
    for (let w = 0; w < 20; w++) events.push(...week('alpha', w, 2));
    events.push(...week('alpha', 20, 7));
    await post(events);
    const first = await refreshAndEvaluate();
    expect(first.opened).toBe(1);
    const [msg] = await until('the firing message', () => (received.length >= 1 ? received : undefined));
    if (!msg) throw new Error('no message');
    expect(msg.body).toMatchObject({
      class: 'signal',
      status: 'firing',
      severity: 'warning',
      kpi: 'change_failure_rate',
      scope: { team: 'alpha', project: null },
      grain: 'week',
      periodStart: weekStart(20),
      rule: 'WE1',
      resolvedAt: null,
    });
    expect(msg.body.value).toBeGreaterThan(msg.body.limits.ucl);
    expect(msg.body.chartUrl).toContain('/v1/kpis/change_failure_rate/chart?period=week&team=alpha');
    expect(msg.headers['x-shewhart-delivery']).toBe(msg.body.id);
    expect(msg.headers['x-shewhart-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(msg.raw).digest('hex')}`,
    );
    alertId = msg.body.alertId;

    for (let i = 0; i < 3; i++) expect((await refreshAndEvaluate()).opened).toBe(0);
    const listed = await get('/v1/alerts?class=signal');
    if (!listed.body.alerts) throw new Error(JSON.stringify(listed));
    const alerts = listed.body.alerts;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alertId, state: 'firing', spcRule: 'WE1', team: 'alpha' });
    expect(alerts[0].evidence.points).toEqual([expect.objectContaining({ periodStart: weekStart(20) })]);
    const deliveries = await listDeliveries(rt.warehouse.client, { alertId });
    expect(deliveries.map((d) => `${d.routeId}:${d.transition}`).sort()).toEqual([
      'local:firing',
      'night:firing',
    ]);
    expect(received).toHaveLength(1);
  });

  it('an acknowledged alert is not sent again: its waiting message is cancelled', async () => {
    const res = await fetch(`${rt.url}/v1/alerts/${alertId}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'quality-lead', note: 'looking into the failed deployments' }),
    });
    expect(res.status).toBe(200);
    const { alert } = (await res.json()) as { alert: { acknowledged: { by: string; note: string } } };
    expect(alert.acknowledged).toMatchObject({
      by: 'quality-lead',
      note: 'looking into the failed deployments',
    });
    const night = (await listDeliveries(rt.warehouse.client, { alertId })).find((d) => d.routeId === 'night');
    expect(night).toMatchObject({ state: 'cancelled', transition: 'firing' });
    await refreshAndEvaluate();
    expect(await listDeliveries(rt.warehouse.client, { alertId })).toHaveLength(2);
    expect(received.filter((m) => m.body.alertId === alertId)).toHaveLength(1);
    expect(
      (
        await fetch(`${rt.url}/v1/alerts/${'0'.repeat(24)}/ack`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ by: 'x', note: 'y' }),
        })
      ).status,
    ).toBe(404);
  });

  it('the episode ends after 8 closed points without the rule firing, and the resolution is sent', async () => {
    const events = [];
    for (let w = 21; w < 28; w++) events.push(...week('alpha', w, 2));
    await post(events);
    expect((await refreshAndEvaluate()).resolved).toBe(0); // 7 quiet points
    await post(week('alpha', 28, 2));
    expect((await refreshAndEvaluate()).resolved).toBe(1);
    const resolution = await until('the resolution', () =>
      received.find((m) => m.body.status === 'resolved' && m.headers['x-shewhart-delivery'] === m.body.id),
    );
    expect(resolution.body).toMatchObject({ alertId, status: 'resolved', periodStart: weekStart(20) });
    expect(resolution.body.resolvedAt).toEqual(expect.any(String));
    expect(resolution.body.id).not.toBe(received[0]?.body.id);
    const [alert] = (await get(`/v1/alerts?state=resolved&kpi=change_failure_rate`)).body.alerts;
    expect(alert).toMatchObject({ alertId, state: 'resolved' });
    expect(alert.resolution).toContain(`last ${weekStart(28)}`);
  });

  it('an open period never alerts', async () => {
    const events = [];
    for (let w = 29; w < 40; w++) events.push(...week('alpha', w, 2));
    events.push(...week('alpha', 40, 9)); // the current week: open
    await post(events);
    const r = await refreshAndEvaluate();
    expect(r.opened).toBe(0);
    expect((await get('/v1/alerts')).body.alerts).toHaveLength(1);
    const chart = (await get('/v1/kpis/change_failure_rate/chart?team=alpha')).body;
    expect(JSON.stringify(chart)).toContain(weekStart(40));
  });
});

describe('configuration', () => {
  it('a rule naming an unknown route or KPI fails start-up with file, line and field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `version: 2
alerts:
  routes:
    - id: local
      type: slack
      url: http://127.0.0.1:9/hooks
  rules:
    - id: r
      class: signal
      kpis: [no_such_kpi]
      routes: [elsewhere]
`,
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-alerts-bad-'));
    try {
      const config = loadConfig({ SHEWHART_DATA_DIR: dataDir, PORT: '0', SHEWHART_CONFIG: bad });
      const started = startEmbedded({ config, logger: createLogger('silent', { pretty: false }) });
      await expect(started).rejects.toThrow(`${bad}:10: alerts.rules[0].kpis[0]: unknown KPI "no_such_kpi"`);
      await expect(started).rejects.toThrow(
        `${bad}:11: alerts.rules[0].routes[0]: unknown route "elsewhere"`,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
