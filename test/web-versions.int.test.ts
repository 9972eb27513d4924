import { listAlerts, nextVersion } from '@shewhart/alerts';
import { toWebAlert } from '@shewhart/api';
import { type AlertsPort, chartKey, dataVersions, WebView } from '@shewhart/web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

/**
 * The web view keeps a page for as long as the data it was built from stays the same. `alerts`, `signals`
 * and `events_raw` are ReplacingMergeTrees: a row written again for the same key (an alert resolved, a
 * signal detected again, an event stored twice) is later merged away, and the row count returns to what it
 * was before the write. The pages must not come back then.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const client = () => rt.storage.states.client;

beforeAll(async () => {
  rt = await startTestRuntime();
}, 120_000);
afterAll(async () => {
  await rt?.dispose();
});

/** The alerts of the `alerts` table as the server's web routes list them (packages/api web.routes.ts). */
const port = (): AlertsPort => {
  return {
    list: async (filter) => (await listAlerts(client(), filter)).map(toWebAlert),
    acknowledge: async () => undefined,
  };
};

/** One version of an alert's row, as the alerts store writes it (a new version per write). */
const alertRow = (state: 'firing' | 'resolved') => ({
  alert_id: 'al-versions-1',
  fingerprint: 'fp-versions-1',
  class: 'signal',
  kind: 'special_cause',
  rule_id: 'signals',
  severity: 'warning',
  kpi: 'defect_arrivals',
  team: 'payments',
  project: '',
  dim: '',
  grain: 'week',
  objective_id: '',
  source: '',
  period_start: '2026-11-02',
  state,
  title: 'Defect arrivals above the upper limit',
  value: 12,
  limits: '',
  spc_rule: 'WE1',
  evidence: '{}',
  chart_path: '/v1/kpis/defect_arrivals/chart?team=payments',
  routes: [],
  started_at: '2026-11-02 10:00:00.000',
  resolved_at: state === 'resolved' ? '2026-11-09 10:00:00.000' : null,
  resolution: state === 'resolved' ? 'back within limits' : '',
  version: nextVersion(),
});

const count = async (table: string) => {
  const rs = await client().query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]?.n);
};
const insert = (table: string, values: unknown[]) =>
  client().insert({ table, values, format: 'JSONEachRow' });
const optimize = (table: string) => client().command({ query: `OPTIMIZE TABLE ${table} FINAL` });

describe("the web view's data versions", () => {
  it('shows an alert resolved after the merge that removed its firing row', async () => {
    const view = new WebView({ states: rt.storage.states, alerts: port() }, { versionTtlMs: 0 });
    await insert('alerts', [alertRow('firing')]);
    const [firing] = await view.alerts();
    expect(firing?.map((a) => a.id)).toEqual(['al-versions-1']);
    expect((await view.overview()).alerts?.map((a) => a.state)).toEqual(['firing']);
    // Resolved as the alerts store does it: a newer version of the row; then a merge keeps only that one.
    await insert('alerts', [alertRow('resolved')]);
    await optimize('alerts');
    expect(await count('alerts')).toBe(1); // the count the pages above were built for
    const [stillFiring, resolved] = await view.alerts();
    expect(stillFiring).toEqual([]);
    expect(resolved.map((a) => [a.id, a.state])).toEqual([['al-versions-1', 'resolved']]);
    expect((await view.overview()).alerts).toEqual([]);
    await view.close();
  });

  it('changes when a signal or an event is written again and merged back to the same count', async () => {
    const signal = {
      kpi: 'defect_arrivals',
      team: 'payments',
      project: '',
      dim: '',
      grain: 'week',
      stage_from: '2026-01-05',
      rule: 'WE1',
      period_start: '2026-11-02',
      baseline_id: 'b-versions-1',
      value: 12,
      z: 3.4,
    };
    await insert('signals', [signal]);
    const event = ev('defect.reported', {
      defectId: 'd-versions-1',
      severity: 'major',
      detectionActivity: 'unit_test',
    });
    expect((await rt.post([event])).status).toBe(202);
    const stored = async () =>
      (
        await (
          await client().query({
            query: 'SELECT source, id, type, time, team, project, specversion, data, extra FROM events_raw',
            format: 'JSONEachRow',
          })
        ).json<Record<string, unknown>>()
      ).filter((r) => r.id === event.id);
    const [row] = await eventually('the event stored', async () => {
      const rows = await stored();
      return rows.length === 1 ? rows : undefined;
    });
    const before = await dataVersions(client());
    const counts = [await count('signals'), await count('events_raw')];
    // The same signal detected again, the same event stored again (the storage-level safety net's case).
    await insert('signals', [signal]);
    await insert('events_raw', [row]);
    await optimize('signals');
    await optimize('events_raw');
    expect([await count('signals'), await count('events_raw')]).toEqual(counts);
    expect((await dataVersions(client())).data).not.toBe(before.data);
  });
});

describe('chart pages', () => {
  it("refuses a bad range before building the whole series' page, naming the field", async () => {
    const view = new WebView({ states: rt.storage.states }, { versionTtlMs: 0 });
    const series = { kpi: 'defect_arrivals', period: 'month' };
    await expect(view.chartPage({ ...series, from: '2026-13-01' })).rejects.toThrow(/from/);
    await expect(view.chartPage({ ...series, to: 'soon' })).rejects.toThrow(/to/);
    // Nothing was built: neither the whole series' page nor the range's.
    expect(view.held()).toEqual([]);
    // A good range is built from the whole series' page, as before.
    await view.chartPage({ ...series, from: '2026-01-01' });
    expect(view.held()).toEqual([chartKey(series), chartKey({ ...series, from: '2026-01-01' })]);
    await view.close();
    // Over HTTP: a 400 naming the field.
    const res = await fetch(`${rt.url}/charts?kpi=defect_arrivals&from=2026-13-01`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/\bfrom\b/);
  });
});
