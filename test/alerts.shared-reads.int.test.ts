import { type AlertsConfig, evaluateAlerts, listAlerts, type Rule } from '@shewhart/alerts';
import { refreshAll } from '@shewhart/baselines';
import { generateDemo } from '@shewhart/cli/demo';
import { Secret } from '@shewhart/config';
import { byTeamSql, EntityStates, KPIS, type KpiDefinition } from '@shewhart/kpi';
import { type KpiWarehouse, openKpiWarehouse } from '@shewhart/kpi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * One evaluation reads each KPI series once: the signal rules and the late-change rules look at the same
 * series (each KPI for every team in one query, and the organisation's), and reading them twice was
 * most of the difference between an evaluation and the sum of its classes at 10 M events
 * (`pnpm bench alerts`). Checked on the statements the evaluation sends to the real engine.
 */
const asOf = new Date('2026-01-05T00:00:00Z');
let kw: KpiWarehouse;
let states: EntityStates;
const statements: { query: string; params: string }[] = [];

const rule = (id: string, cls: Rule['class']): Rule => ({
  id,
  class: cls,
  severity: 'warning',
  routes: ['local'],
  quietPoints: 8,
  attainBelow: 0.5,
  rejectedShare: { above: 0.05, windowHours: 24, minEvents: 20 },
  lateChanges: cls === 'data_quality',
});

const config = (rules: Rule[]): AlertsConfig => ({
  routes: new Map([
    [
      'local',
      {
        id: 'local',
        type: 'webhook',
        url: 'http://127.0.0.1:9/unused',
        target: 'http://127.0.0.1:9/unused',
        secret: new Secret('TEST', 'shared-reads-secret'),
        retry: { attempts: 3, backoffMs: 50 },
      },
    ],
  ]),
  rules,
});

const evaluate = (rules: Rule[]) =>
  evaluateAlerts({ states, client: kw.client, config: config(rules) }, asOf);

beforeAll(async () => {
  kw = await openKpiWarehouse();
  const events = [...generateDemo({ weeks: 104, teams: 4, seed: 7, end: asOf })];
  expect((await kw.write(events)).stored).toBe(events.length);
  // The same engine, with every statement noted on the way (the KPI reads go through the states' client).
  const target = kw.client;
  const noting = new Proxy(target, {
    get(t, prop) {
      if (prop === 'query')
        return (p: Parameters<KpiWarehouse['client']['query']>[0]) => {
          statements.push({ query: p.query, params: JSON.stringify(p.query_params ?? {}) });
          return t.query(p);
        };
      const v = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  states = new EntityStates(noting).trackWrites();
  await states.catchUp();
  const refreshed = await refreshAll(states, { grains: ['week'], asOf });
  expect(refreshed.signals).toBeGreaterThan(0);
});
afterAll(async () => kw?.dispose());

describe('an evaluation with signal and late-change rules', () => {
  it('reads each KPI series once, every team of a KPI in one query', async () => {
    statements.length = 0;
    const r = await evaluate([rule('signals', 'signal'), rule('late', 'data_quality')]);
    expect(r.failed).toEqual([]);
    expect(r.episodes).toBeGreaterThan(0);
    const reads = statements.filter((s) => /\bnumerator\b/.test(s.query));
    const keys = reads.map((s) => `${s.query}\u0000${s.params}`);
    expect(new Set(keys).size).toBe(keys.length);
    const fanned = (KPIS as readonly KpiDefinition[]).filter(
      (k) => k.byTeamSql !== undefined || byTeamSql(k.sql('week')) !== undefined,
    );
    expect(reads.filter((s) => s.query.includes('scope_team'))).toHaveLength(fanned.length);
  });

  it('finds the alerts the classes find evaluated apart, and records no value again', async () => {
    const recorded = async () => {
      const rs = await kw.client.query({
        query: 'SELECT count() AS n FROM published_values',
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: string }>())[0]?.n);
    };
    const before = await recorded();
    expect(before).toBeGreaterThan(0);
    const both = await evaluate([rule('signals', 'signal'), rule('late', 'data_quality')]);
    const signal = await evaluate([rule('signals', 'signal')]);
    const late = await evaluate([rule('late', 'data_quality')]);
    expect(signal.episodes).toBeGreaterThan(0);
    expect(both.episodes).toBe(signal.episodes + late.episodes);
    expect(both.opened + both.resolved + signal.opened + late.opened).toBe(0); // nothing new since the first
    expect(await recorded()).toBe(before); // every closed value found as recorded
    const stored = await listAlerts(kw.client, { class: 'signal', limit: 100_000 });
    expect(stored.filter((a) => a.ruleId === 'signals')).toHaveLength(signal.episodes);
  });
});
