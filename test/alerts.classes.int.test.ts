import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ListedAlert, listDeliveries, type Receiver, startReceiver } from '@shewhart/alerts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

/**
 * The objective and data-quality alert classes end to end on the embedded default (real chDB, a local
 * receiver on 127.0.0.1 checking signatures). Week 0 is 12 weeks before the current week (week 12, open).
 * - beta deploys 10 times a week, 2 failures (20 %) against an objective of at most 30 %; week 10 has 6
 *   (60 %): a closed period that misses. Week 12 (open) has 9 and must not alert.
 * - gamma fails 10–30 % a week against at most 10 % by a due date three weeks ahead: P(attain) from the
 *   12 closed weeks (a fitted normal) is far below 0.5.
 * - source `flaky/ci` sends 30 valid events and 6 refused ones: 16.7 % refused, above 5 %.
 * - two data-quality rules both watch late changes: a late failed deployment in beta's closed week 5
 *   changes 20 % to 3/11 = 27.3 %, and each rule raises its own alert.
 */
const SECRET = 'classes-test-secret';
process.env.SHEWHART_TEST_CLASSES_SECRET = SECRET;

const DAY = 86_400_000;
const now = new Date();
const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
const thisMonday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
const WEEK0 = thisMonday - 12 * 7 * DAY;
const weekStart = (w: number) => new Date(WEEK0 + w * 7 * DAY).toISOString().slice(0, 10);
// Mondays from 00:30 UTC, a minute apart: in the past even in the current week.
const time = (w: number, k: number) => new Date(WEEK0 + w * 7 * DAY + (30 + k) * 60_000).toISOString();
const DUE = new Date(today + 21 * DAY).toISOString().slice(0, 10);

let receiver: Receiver;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let dir: string;

function week(team: string, w: number, failures: number, n = 10) {
  return Array.from({ length: n }, (_, k) =>
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

const survey = (i: number, valid = true) =>
  ev(
    'feedback.survey',
    valid ? { scale: 'csat_1_5', score: 4, customerId: `c${i}` } : { scale: 'csat_1_5' },
    { source: 'flaky/ci', team: 'delta', time: time(11, i % 50) },
  );

async function post(events: unknown[], status = 202) {
  expect((await rt.post(events)).status).toBe(status);
}

async function evaluate() {
  const r = await rt.alerting?.evaluateNow();
  if (!r) throw new Error('no evaluation');
  expect(r.failed).toEqual([]);
  return r;
}

async function alerts(query = ''): Promise<ListedAlert[]> {
  const res = await fetch(`${rt.url}/v1/alerts${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: ListedAlert[] }).alerts;
}

const messages = (kind: string, status = 'firing') =>
  receiver.messages.filter((m) => m.body?.evidence?.kind === kind && m.body.status === status && !m.repeat);

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET });
  dir = mkdtempSync(join(tmpdir(), 'shewhart-alert-classes-'));
  const file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
objectives:
  - id: beta-cfr
    kpi: change_failure_rate
    scope: { team: beta }
    direction: lower
    target: 30
    period: week
    owner: beta-lead
  - id: gamma-cfr
    kpi: change_failure_rate
    scope: { team: gamma }
    direction: lower
    target: 10
    period: week
    owner: gamma-lead
    due: ${DUE}
alerts:
  routes:
    - id: local
      type: webhook
      url: ${receiver.url}/hooks/quality
      secretEnv: SHEWHART_TEST_CLASSES_SECRET
      retry: { attempts: 3, backoffMs: 50 }
  rules:
    - id: objectives
      class: objective
      severity: critical
      routes: [local]
    - id: dq-a
      class: data_quality
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [local]
    - id: dq-b
      class: data_quality
      kpis: [change_failure_rate]
      scopes: [team]
      severity: info
      routes: [local]
`,
  );
  rt = await startTestRuntime({
    SHEWHART_CONFIG: file,
    SHEWHART_BASELINE_REFRESH_MS: '600000',
    SHEWHART_ALERT_EVALUATE_MS: '600000',
  });
  const events = [];
  for (let w = 0; w <= 10; w++) events.push(...week('beta', w, w === 10 ? 6 : 2));
  events.push(...week('beta', 12, 9)); // the current week: open
  const gamma = [2, 3, 2, 1, 3, 2, 2, 3, 2, 2, 1, 3];
  for (const [w, f] of gamma.entries()) events.push(...week('gamma', w, f));
  for (let i = 0; i < 30; i++) events.push(survey(i));
  await post(events);
  for (let b = 0; b < 3; b++) await post([survey(100 + 2 * b, false), survey(101 + 2 * b, false)], 400);
});

afterAll(async () => {
  await rt?.dispose();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('objective alerts', () => {
  it('a closed period that misses its objective raises one alert with the objective and the actual value', async () => {
    const r = await evaluate();
    expect(r.opened).toBeGreaterThan(0);
    const beta = (await alerts('?class=objective&team=beta')).filter((a) => a.kind === 'objective_missed');
    expect(beta).toHaveLength(1); // week 10 only: the open week 12 is never judged
    expect(beta[0]).toMatchObject({
      state: 'firing',
      severity: 'critical',
      objectiveId: 'beta-cfr',
      periodStart: weekStart(10),
      value: 60,
    });
    expect(beta[0]?.evidence).toMatchObject({ actual: 60, objective: { id: 'beta-cfr', target: 30 } });
    const [msg] = await eventually('the miss message', () => {
      const m = messages('objective_missed').filter((x) => x.body.objective?.id === 'beta-cfr');
      return m.length > 0 ? m : undefined;
    });
    expect(msg?.signatureOk).toBe(true);
    expect(msg?.body).toMatchObject({
      class: 'objective',
      status: 'firing',
      kpi: 'change_failure_rate',
      scope: { team: 'beta', project: null },
      periodStart: weekStart(10),
      value: 60,
      objective: { id: 'beta-cfr', direction: 'lower', target: 30 },
    });
    expect(msg?.body.chartUrl).toContain('/v1/kpis/change_failure_rate/chart?period=week&team=beta');
  });

  it('a prediction of attainment below 0.5 for the due date raises an alert with the prediction', async () => {
    const [risk] = (await alerts('?class=objective&team=gamma')).filter(
      (a) => a.kind === 'attainment_at_risk',
    );
    expect(risk).toMatchObject({ state: 'firing', objectiveId: 'gamma-cfr' });
    const prediction = risk?.evidence.prediction as { pAttain: number; method: string; n: number };
    expect(prediction).toMatchObject({ method: 'normal', n: 12 });
    // Mean 21.7 %, sd 6.9 %: P(X ≤ 10) ≈ Φ(−1.69) ≈ 0.045.
    expect(prediction.pAttain).toBeGreaterThan(0.01);
    expect(prediction.pAttain).toBeLessThan(0.1);
    expect(risk?.value).toBe(prediction.pAttain);
    expect(risk?.evidence).toMatchObject({ threshold: 0.5, objective: { id: 'gamma-cfr', due: DUE } });
    const msg = await eventually('the prediction message', () => messages('attainment_at_risk')[0]);
    expect(msg.signatureOk).toBe(true);
    expect(msg.body).toMatchObject({
      class: 'objective',
      scope: { team: 'gamma' },
      value: prediction.pAttain,
    });
  });

  it('the miss ends when a later closed period meets the objective, and the resolution is sent', async () => {
    await post(week('beta', 11, 1));
    const r = await evaluate();
    expect(r.resolved).toBeGreaterThanOrEqual(1);
    const [beta] = (await alerts('?class=objective&team=beta')).filter((a) => a.kind === 'objective_missed');
    expect(beta).toMatchObject({
      state: 'resolved',
      resolution: `met again in the period starting ${weekStart(11)}`,
    });
    const msg = await eventually('the resolution', () =>
      messages('objective_missed', 'resolved').find((m) => m.body.objective?.id === 'beta-cfr'),
    );
    expect(msg.body.resolvedAt).toEqual(expect.any(String));
  });
});

describe('data-quality alerts', () => {
  it('a source whose refused share exceeds the threshold raises an alert per rule, with the counts', async () => {
    const dq = (await alerts('?class=data_quality')).filter((a) => a.kind === 'rejected_share');
    expect(dq.map((a) => a.ruleId).sort()).toEqual(['dq-a', 'dq-b']);
    for (const a of dq) {
      expect(a).toMatchObject({ state: 'firing', source: 'flaky/ci' });
      expect(a.evidence).toMatchObject({ rejected: 6, stored: 30, threshold: 0.05, windowHours: 24 });
      expect(a.value).toBeCloseTo(6 / 36, 10);
    }
    const got = await eventually('both messages', () => {
      const m = messages('rejected_share');
      return m.length >= 2 ? m : undefined;
    });
    expect(got.every((m) => m.signatureOk)).toBe(true);
  });

  it('late data changing a published closed value raises an alert for each rule, with old and new value and the events', async () => {
    expect((await alerts('?class=data_quality')).filter((a) => a.kind === 'late_change')).toEqual([]);
    const late = ev(
      'delivery.deployment',
      { deploymentId: 'beta-w5-late', environment: 'production', status: 'failed' },
      { time: time(5, 20), team: 'beta' },
    );
    await post([late]);
    const r = await evaluate();
    expect(r.opened).toBe(2);
    const changes = (await alerts('?class=data_quality&state=firing')).filter(
      (a) => a.kind === 'late_change',
    );
    expect(changes.map((a) => a.ruleId).sort()).toEqual(['dq-a', 'dq-b']);
    for (const a of changes) {
      expect(a).toMatchObject({ team: 'beta', kpi: 'change_failure_rate', periodStart: weekStart(5) });
      expect(a.evidence).toMatchObject({ oldValue: 20, events: { count: 1 } });
      expect(a.evidence.newValue).toBeCloseTo(300 / 11, 6);
      expect((a.evidence.events as { listed: { id: string }[] }).listed.map((e) => e.id)).toEqual([late.id]);
    }
    await eventually('both late-change messages', () => {
      const m = messages('late_change');
      return m.length >= 2 ? m : undefined;
    });
    // Nothing changed since: the next evaluation ends both episodes.
    expect((await evaluate()).resolved).toBe(2);
    expect(
      (await alerts('?class=data_quality&state=firing')).filter((a) => a.kind === 'late_change'),
    ).toEqual([]);
  });

  it('the refused-share alert resolves once the share falls back', async () => {
    const events = Array.from({ length: 200 }, (_, i) => survey(1000 + i));
    await post(events);
    expect((await evaluate()).resolved).toBe(2);
    const dq = (await alerts('?class=data_quality')).filter((a) => a.kind === 'rejected_share');
    expect(dq.map((a) => a.state)).toEqual(['resolved', 'resolved']);
    await eventually('both resolutions', () => {
      const m = messages('rejected_share', 'resolved');
      return m.length >= 2 ? m : undefined;
    });
    const deliveries = await listDeliveries(rt.warehouse.client, {});
    expect(deliveries.filter((d) => d.state !== 'delivered')).toEqual([]);
  });
});
