/**
 * Every panel of every generated dashboard (the committed JSON Grafana imports) runs on the demo data:
 * its SQL expanded as Grafana and the ClickHouse plugin expand it (expand.ts), for sample values of its
 * variables (All and a team, multi-value selections, every option of a custom variable), must succeed,
 * return rows for some sample, and return every column its field overrides and transformations name.
 * A KPI panel's numbers equal the API's for the same KPI, scope and period. Prometheus panels (pipeline
 * health) are checked against the processes' real /metrics instead: prometheus.kafka.int.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findKpi, type KpiDefinition, queryKpi } from '@shewhart/kpi';
import type { KpiWarehouse } from '@shewhart/kpi/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approx } from '../../test/support/approx.js';
import { DEMO_END, openDemoWarehouse } from '../../test/support/demo-warehouse.js';
import { GENERATED_DIR } from './build.js';
import { DATASOURCE } from './datasource.js';
import { type ExpandContext, expandQuery, type VariableValue } from './expand.js';
import { type DashboardJson, type PanelJson, panelsOf, type VariableJson } from './validate.js';

let kw: KpiWarehouse;
const DASHBOARDS = readdirSync(GENERATED_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(GENERATED_DIR, f), 'utf8')) as DashboardJson);
const DAY = 86_400_000;

beforeAll(async () => {
  kw = await openDemoWarehouse();
  // Tables other work fills (alerts, refused events) get one row each, when they exist, so their panels
  // show something.
  const tables = new Set(
    (
      await (
        await kw.client.query({
          query: 'SELECT name FROM system.tables WHERE database = currentDatabase()',
          format: 'JSONEachRow',
        })
      ).json<{ name: string }>()
    ).map((r) => r.name),
  );
  if (tables.has('alerts')) {
    await kw.client.command({
      query: `INSERT INTO alerts (alert_id, kpi, team, state, title, severity, started_at, version)
              VALUES ('a1', 'defect_arrivals', 'mobile', 'firing', 'Defect arrivals above UCL', 'warning', now64(3), 1)`,
    });
  }
  if (tables.has('ingest_rejections')) {
    await kw.client.command({
      query: `INSERT INTO ingest_rejections (source, team, rejected, reason) VALUES ('ci/jenkins', 'payments', 3, 'invalid')`,
    });
  }
}, 300_000);
afterAll(() => kw?.dispose());

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const rs = await kw.client.query({ query: sql, format: 'JSONEachRow' });
  return rs.json<Record<string, unknown>>();
}

/** The dashboard's time range for the tests: its default length, ending at the demo's end (pipeline: now). */
function rangeOf(d: DashboardJson): { from: Date; to: Date } {
  const to = d.uid === 'shewhart-pipeline-health' ? new Date() : DEMO_END;
  const days = d.uid === 'shewhart-pipeline-health' ? 1 : 365;
  return { from: new Date(to.getTime() - days * DAY), to };
}

/** Per variable: the value the dashboard opens with first, then the other samples. */
type Samples = Record<string, VariableValue[]>;

type Variable = VariableJson & {
  allValue?: string;
  multi?: boolean;
  includeAll?: boolean;
  current?: { value: string | string[] };
};

/**
 * Sample values per variable, resolving query variables against the data as Grafana does (in order, each
 * query seeing the variables before it at their opening value): the opening value (All where offered,
 * else the current or first option), then All, two values of a multi-value variable, and every option of
 * a custom variable (the first four of a query).
 */
async function samplesOf(d: DashboardJson): Promise<Samples> {
  const samples: Samples = {};
  const base = { ...rangeOf(d), intervalMs: 3_600_000 };
  for (const v of (d.templating?.list ?? []) as Variable[]) {
    let options: string[];
    if (v.type === 'query') {
      const variables = Object.fromEntries(
        Object.entries(samples).map(([k, s]) => [k, s[0] as VariableValue]),
      );
      const result = await rows(expandQuery(String(v.query), { ...base, variables }));
      options = result.map((r) => String(Object.values(r)[0]));
    } else {
      options = (v.options ?? []).map((o) => o.value);
    }
    const all: VariableValue[] = v.includeAll
      ? [{ value: '$__all', options, ...(v.allValue ? { allValue: v.allValue } : {}) }]
      : [];
    const current = v.current?.value;
    const opening: VariableValue[] =
      all.length > 0
        ? all
        : [{ value: typeof current === 'string' && current !== '' ? current : (options[0] ?? ''), options }];
    const others: VariableValue[] = [];
    if (v.multi && options.length >= 2) others.push({ value: options.slice(0, 2), options });
    if (v.multi && options.length >= 1) others.push({ value: [options[0] as string], options });
    for (const o of v.type === 'custom' ? options : options.slice(0, 4)) others.push({ value: o, options });
    samples[v.name] = [...opening, ...others];
  }
  return samples;
}

/** Combinations to run: every variable at its opening value, then each variable's other samples in turn. */
function contexts(d: DashboardJson, samples: Samples): ExpandContext[] {
  const opening = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, s[0] as VariableValue]));
  const out: ExpandContext[] = [{ ...rangeOf(d), intervalMs: 3_600_000, variables: opening }];
  for (const [name, list] of Object.entries(samples)) {
    for (const value of list.slice(1)) {
      out.push({ ...rangeOf(d), intervalMs: 3_600_000, variables: { ...opening, [name]: value } });
    }
  }
  return out;
}

/** The columns a panel's field config and transformations name. */
export function expectedColumns(p: PanelJson): string[] {
  const names = new Set<string>();
  for (const o of p.fieldConfig?.overrides ?? []) {
    if (o.matcher.id === 'byName') names.add(String(o.matcher.options));
    // Data links name the row's fields they carry (`${__data.fields.kpi}`).
    const props = (o as { properties?: { id: string; value?: unknown }[] }).properties ?? [];
    for (const prop of props.filter((x) => x.id === 'links'))
      for (const m of JSON.stringify(prop.value).matchAll(/\$\{__data\.fields\.(\w+)\}/g))
        names.add(m[1] as string);
  }
  for (const t of p.transformations ?? []) {
    if (t.id === 'organize') {
      for (const k of Object.keys((t.options?.renameByName as object) ?? {})) names.add(k);
      for (const k of Object.keys((t.options?.excludeByName as object) ?? {})) names.add(k);
    }
  }
  const reduce = (p.options?.reduceOptions as { fields?: string } | undefined)?.fields;
  const alternatives = reduce ? /^\/\^\((.+)\)\$\/$/.exec(reduce)?.[1] : undefined;
  for (const f of alternatives?.split('|') ?? []) names.add(f);
  if (p.type === 'barchart') names.add(String(p.options?.xField));
  for (const s of (p.options?.series as {
    x?: { matcher: { options: string } };
    y?: { matcher: { options: string } };
  }[]) ?? []) {
    if (s.x) names.add(s.x.matcher.options);
    if (s.y) names.add(s.y.matcher.options);
  }
  return [...names];
}

/** Options a control chart's `dim` needs for a KPI (a KPI with a dimension returns nothing for `none`). */
function dimFor(kpi: string): string {
  const k = findKpi(kpi) as KpiDefinition | undefined;
  return k?.dimension?.default ?? 'none';
}

describe.each(DASHBOARDS.map((d) => [d.title, d] as const))('%s', (_title, d) => {
  it('every panel query runs, returns rows and the columns its panel expects', async () => {
    const samples = await samplesOf(d);
    const queries = [
      ...panelsOf(d)
        .filter((p) => p.datasource?.type === DATASOURCE.type)
        .flatMap((p) =>
          (p.targets ?? []).map((t) => ({ what: `panel "${p.title}"`, sql: t.rawSql ?? '', p })),
        ),
      ...(d.annotations?.list ?? [])
        .filter((a) => a.target?.rawSql)
        .map((a) => ({ what: `annotation ${a.name}`, sql: a.target?.rawSql ?? '', p: undefined })),
    ];
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      let returned = 0;
      const columns = new Set<string>();
      for (const ctx of contexts(d, samples)) {
        const kpi = ctx.variables.kpi?.value;
        if (typeof kpi === 'string' && ctx.variables.dim) ctx.variables.dim = { value: dimFor(kpi) };
        const sql = expandQuery(q.sql, ctx);
        expect(sql, q.what).not.toMatch(/\$\{?\w|\[\[/);
        const result = await rows(sql).catch((error: Error) => {
          throw new Error(`${d.uid} ${q.what}: ${error.message}\n${sql}`);
        });
        returned += result.length;
        for (const r of result) for (const c of Object.keys(r)) columns.add(c);
        if (result.length > 0 && q.p?.type === 'timeseries') {
          const first = result[0] as Record<string, unknown>;
          expect(
            Object.values(first).some(
              (v) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(v),
            ),
            `${q.what}: a time column`,
          ).toBe(true);
        }
      }
      expect(returned, `${d.uid} ${q.what} returned no rows for any sample`).toBeGreaterThan(0);
      if (q.p) for (const c of expectedColumns(q.p)) expect([...columns], `${d.uid} ${q.what}`).toContain(c);
    }
  }, 300_000);
});

describe('a KPI panel shows the API numbers', () => {
  const delivery = DASHBOARDS.find((d) => d.uid === 'shewhart-delivery') as DashboardJson;
  const cases = [
    { kpi: 'change_failure_rate', team: 'payments', grain: 'week' },
    { kpi: 'lead_time_for_changes', team: '$__all', grain: 'month' },
    { kpi: 'on_time_delivery', team: 'mobile', grain: 'quarter' },
  ];
  it.each(cases)('$kpi, team $team, by $grain', async ({ kpi, team, grain }) => {
    const panel = panelsOf(delivery).find((p) =>
      p.targets?.[0]?.rawSql?.includes(`kpi_${kpi}_`),
    ) as PanelJson;
    const { from, to } = rangeOf(delivery);
    const sql = expandQuery(panel.targets?.[0]?.rawSql as string, {
      from,
      to,
      intervalMs: 3_600_000,
      variables: {
        team: team === '$__all' ? { value: '$__all', allValue: '*' } : { value: team },
        project: { value: '$__all', allValue: '*' },
        grain: { value: grain },
      },
    });
    const shown = (await rows(sql)).map((r) => ({
      time: String(r.time).slice(0, 10),
      value: r[kpi] === null ? null : Number(r[kpi]),
    }));
    // Grafana's range is whole seconds ($__fromTime); the API takes the same instants.
    const api = await queryKpi(kw.states, kpi, {
      period: grain,
      ...(team === '$__all' ? {} : { team }),
      from: new Date(Math.floor(from.getTime() / 1000) * 1000).toISOString(),
      to: new Date(Math.floor(to.getTime() / 1000) * 1000).toISOString(),
    });
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).toEqual(approx(api.points.map((p) => ({ time: p.periodStart, value: p.value }))));
  });
});
