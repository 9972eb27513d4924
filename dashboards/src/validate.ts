import { findKpi } from '@shewhart/kpi';
import { DATASOURCE, DATASOURCES, PROMETHEUS } from './datasource.js';
import { GRAFANA_GLOBALS, PLUGIN_MACROS, VARIABLE_PATTERN } from './expand.js';
import { legendLabels, readPromql } from './promql.js';

/** The parts of dashboard JSON the checks read (generated JSON or a built dashboard). */
interface Ref {
  type?: string;
  uid?: string;
}
interface Target {
  rawSql?: string;
  /** PromQL (Prometheus targets). */
  expr?: string;
  legendFormat?: string;
  datasource?: Ref;
}
export interface PanelJson {
  type: string;
  title?: string;
  datasource?: Ref;
  targets?: Target[];
  panels?: PanelJson[];
  fieldConfig?: { overrides?: { matcher: { id: string; options?: unknown } }[] };
  transformations?: { id: string; options?: Record<string, unknown> }[];
  options?: Record<string, unknown>;
}
export interface VariableJson {
  name: string;
  type: string;
  query?: unknown;
  datasource?: Ref;
  options?: { value: string }[];
}
export interface DashboardJson {
  uid?: string;
  title?: string;
  panels?: PanelJson[];
  templating?: { list?: VariableJson[] };
  annotations?: { list?: { name?: string; builtIn?: number; datasource?: Ref; target?: Target }[] };
}

/** Every panel, rows' panels included. */
export function panelsOf(d: DashboardJson): PanelJson[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

const KNOWN_NAMES = new Set<string>([...GRAFANA_GLOBALS, ...PLUGIN_MACROS.map((m) => `__${m}`)]);
const VIEW = /\bkpi_([a-z0-9_]+?)_(?:day|week|month|quarter|\$\{\w+\})\(/g;
const VIEW_BY_VARIABLE = /\bkpi_\$\{(\w+)\}_/g;
const KPI_LITERAL = /\bkpi\s*=\s*'([a-z0-9_]+)'/g;
/** Variables whose values name KPIs but come from a query (objectives' KPIs are checked at load). */
const QUERIED_KPI_VARIABLES = new Set(['objective_kpi']);

/**
 * Checks a dashboard before it is written: every data source reference is a provisioned one (a panel's
 * queries on the panel's data source: ClickHouse panels carry SQL, Prometheus panels PromQL that parses),
 * every variable a query or title names is defined (or a Grafana global or plugin macro), every KPI a
 * query names is in the catalogue, and a PromQL legend names only labels its query keeps. Returns the
 * problems, one line each.
 */
export function validateDashboard(d: DashboardJson): string[] {
  const problems: string[] = [];
  const where = `${d.uid ?? '?'}`;
  const variables = d.templating?.list ?? [];
  const names = new Set(variables.map((v) => v.name));
  /** The provisioned data source of the reference's type; `expected` when the caller knows the kind. */
  const checkRef = (ref: Ref | undefined, what: string, expected?: Ref) => {
    const provisioned = expected ?? DATASOURCES.find((ds) => ds.type === ref?.type) ?? DATASOURCE;
    if (!ref || ref.uid !== provisioned.uid || ref.type !== provisioned.type) {
      problems.push(
        `${where}: ${what} uses data source ${JSON.stringify(ref ?? null)}, not ${provisioned.uid}`,
      );
    }
  };
  const checkPromql = (t: Target, what: string) => {
    const expr = t.expr ?? '';
    if (!expr.trim()) {
      problems.push(`${where}: ${what} has no PromQL expression`);
      return;
    }
    checkText(expr, what);
    const reading = readPromql(expr);
    for (const e of reading.errors) problems.push(`${where}: ${what}: PromQL ${e}`);
    if (reading.selectors.length === 0) problems.push(`${where}: ${what}: PromQL selects no metric`);
    for (const label of legendLabels(t.legendFormat)) {
      if (reading.resultLabels && !reading.resultLabels.includes(label))
        problems.push(`${where}: ${what}: legend names {{${label}}}, which the query aggregates away`);
    }
  };
  const checkText = (text: string, what: string) => {
    for (const m of text.matchAll(VARIABLE_PATTERN)) {
      const name = m[1] ?? m[2] ?? m[4];
      if (name && !names.has(name) && !KNOWN_NAMES.has(name)) {
        problems.push(`${where}: ${what} refers to undefined variable ${m[0]}`);
      }
    }
  };
  const checkSql = (sql: string, what: string) => {
    checkText(sql, what);
    for (const m of sql.matchAll(VIEW)) {
      if (!findKpi(m[1] as string)) problems.push(`${where}: ${what} reads the view of unknown KPI ${m[1]}`);
    }
    for (const m of sql.matchAll(KPI_LITERAL)) {
      if (!findKpi(m[1] as string)) problems.push(`${where}: ${what} names unknown KPI ${m[1]}`);
    }
    for (const m of sql.matchAll(VIEW_BY_VARIABLE)) {
      const name = m[1] as string;
      if (QUERIED_KPI_VARIABLES.has(name)) continue;
      const v = variables.find((x) => x.name === name);
      for (const o of v?.options ?? []) {
        if (!findKpi(o.value)) problems.push(`${where}: variable ${name} offers unknown KPI ${o.value}`);
      }
    }
  };
  if (!d.uid) problems.push(`${d.title}: no fixed uid`);
  for (const v of variables) {
    if (v.type === 'query') {
      checkRef(v.datasource, `variable ${v.name}`);
      checkSql(typeof v.query === 'string' ? v.query : JSON.stringify(v.query ?? ''), `variable ${v.name}`);
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (a.builtIn) continue;
    checkRef(a.datasource, `annotation ${a.name}`);
    checkSql(a.target?.rawSql ?? '', `annotation ${a.name}`);
  }
  for (const p of panelsOf(d)) {
    const what = `panel "${p.title ?? p.type}"`;
    checkText(p.title ?? '', what);
    if (p.type === 'text' || p.type === 'row') continue;
    checkRef(p.datasource, what);
    if (!p.targets?.length) problems.push(`${where}: ${what} has no query`);
    const prometheus = p.datasource?.type === PROMETHEUS.type;
    for (const t of p.targets ?? []) {
      // No mixed panels: every query on the panel's own (provisioned) data source.
      checkRef(t.datasource, `${what} query`, prometheus ? PROMETHEUS : DATASOURCE);
      if (prometheus) {
        if (t.rawSql !== undefined) problems.push(`${where}: ${what}: a Prometheus query with SQL`);
        checkPromql(t, what);
      } else {
        if (t.expr !== undefined) problems.push(`${where}: ${what}: a ClickHouse query with PromQL`);
        checkSql(t.rawSql ?? '', what);
      }
    }
  }
  return problems;
}
