/**
 * Expands a panel's SQL as Grafana and the ClickHouse data source plugin (grafana-clickhouse-datasource)
 * do before ClickHouse sees it, so that tests run exactly what a panel would run:
 *
 * 1. In the browser, template variables are replaced (Grafana's `templateSrv.replace` with the plugin's
 *    formatter: a multi-value selection becomes `'a','b'`, a single value is inserted as is; an explicit
 *    `${var:format}` uses Grafana's format; "All" with a custom all value inserts that value unformatted).
 * 2. In the plugin's backend (pkg/macros/macros.go over grafana/sqlds), the macros are replaced:
 *    `$__fromTime` → `toDateTime(<unix s>)`, `$__toTime`, `$__fromTime_ms` → `fromUnixTimestamp64Milli(<ms>)`,
 *    `$__toTime_ms`, `$__timeFilter(c)` → `c >= toDateTime(from) AND c <= toDateTime(to)`, `$__timeFilter_ms(c)`,
 *    `$__dateFilter(c)` → `c >= toDate('YYYY-MM-DD') AND c <= toDate(…)`, `$__timeInterval(c)` →
 *    `toStartOfInterval(toDateTime(c), INTERVAL <s> second)`, `$__interval_s` → `<s>` (s = the panel
 *    interval in whole seconds, at least 1).
 */

export interface VariableValue {
  /** The selected value(s); `$__all` for All. */
  value: string | string[];
  /** The variable's custom all value, if any. */
  allValue?: string;
  /** Every option (what All expands to without a custom all value). */
  options?: string[];
}

export interface ExpandContext {
  from: Date;
  to: Date;
  /** The panel interval (Grafana's `$__interval`), milliseconds. */
  intervalMs: number;
  variables: Record<string, VariableValue>;
}

/** Grafana's variable syntaxes: `$name`, `[[name:format]]`, `${name.field:format}`. */
export const VARIABLE_PATTERN = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** The macros of the plugin's backend (its `Macros` map), and of its frontend. */
export const PLUGIN_MACROS = [
  'fromTime',
  'toTime',
  'fromTime_ms',
  'toTime_ms',
  'timeFilter',
  'timeFilter_ms',
  'dateFilter',
  'dateTimeFilter',
  'dt',
  'timeInterval',
  'timeInterval_ms',
  'interval_s',
] as const;

/** Grafana's global variables (replaced in the browser). */
export const GRAFANA_GLOBALS = [
  '__from',
  '__to',
  '__interval',
  '__interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__rate_interval',
  '__dashboard',
  '__org',
  '__user',
  '__timezone',
  '__name',
] as const;

const ALL = '$__all';

function formatValue(value: string | string[], format: string | undefined): string {
  const list = Array.isArray(value) ? value : [value];
  switch (format) {
    case undefined:
      // The plugin's formatter: arrays quoted and joined, single values as they are.
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'singlequote':
      return list.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return list.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return list.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'csv':
      return list.join(',');
    case 'raw':
      return list.join(',');
    default:
      throw new Error(`variable format ${format} is not emulated`);
  }
}

function globals(ctx: ExpandContext): Record<string, string> {
  const interval = ctx.intervalMs;
  const human =
    interval % 86_400_000 === 0
      ? `${interval / 86_400_000}d`
      : interval % 3_600_000 === 0
        ? `${interval / 3_600_000}h`
        : interval % 60_000 === 0
          ? `${interval / 60_000}m`
          : interval % 1000 === 0
            ? `${interval / 1000}s`
            : `${interval}ms`;
  return {
    __from: String(ctx.from.getTime()),
    __to: String(ctx.to.getTime()),
    __interval: human,
    __interval_ms: String(interval),
    __range_s: String(Math.round((ctx.to.getTime() - ctx.from.getTime()) / 1000)),
    __range_ms: String(ctx.to.getTime() - ctx.from.getTime()),
    __timezone: 'utc',
  };
}

/** Step 1: Grafana's variable replacement with the plugin's formatter. Unknown names are left alone. */
export function replaceVariables(sql: string, ctx: ExpandContext): string {
  const builtins = globals(ctx);
  return sql.replace(VARIABLE_PATTERN, (match, n1, n2, f2, n3, _field, f3) => {
    const name: string = n1 ?? n2 ?? n3;
    const format: string | undefined = f2 ?? f3;
    if (name in builtins) return builtins[name] as string;
    const v = ctx.variables[name];
    if (!v) return match;
    const isAll = v.value === ALL || (Array.isArray(v.value) && v.value.includes(ALL));
    if (isAll) {
      if (v.allValue !== undefined) return v.allValue;
      return formatValue(v.options ?? [], format ?? undefined);
    }
    return formatValue(v.value, format);
  });
}

const unix = (d: Date) => Math.floor(d.getTime() / 1000);
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The arguments of a macro call starting at `open` (an opening parenthesis), and the index after it. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let start = open + 1;
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(sql.slice(start, i).trim());
        return { args: args.filter((a, k) => a !== '' || k > 0), end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unclosed macro arguments at ${open}`);
}

/** Step 2: the plugin backend's macros. */
export function expandMacros(sql: string, ctx: ExpandContext): string {
  const seconds = Math.max(Math.trunc(ctx.intervalMs / 1000), 1);
  const ms = Math.max(Math.trunc(ctx.intervalMs), 1);
  const from = `toDateTime(${unix(ctx.from)})`;
  const to = `toDateTime(${unix(ctx.to)})`;
  const fromMs = `fromUnixTimestamp64Milli(${ctx.from.getTime()})`;
  const toMs = `fromUnixTimestamp64Milli(${ctx.to.getTime()})`;
  const expansions: Record<string, (args: string[]) => string> = {
    fromTime: () => from,
    toTime: () => to,
    fromTime_ms: () => fromMs,
    toTime_ms: () => toMs,
    timeFilter: ([c]) => `${c} >= ${from} AND ${c} <= ${to}`,
    timeFilter_ms: ([c]) => `${c} >= ${fromMs} AND ${c} <= ${toMs}`,
    dateFilter: ([c]) => `${c} >= toDate('${day(ctx.from)}') AND ${c} <= toDate('${day(ctx.to)}')`,
    dateTimeFilter: ([d, t]) =>
      `(${d} >= toDate('${day(ctx.from)}') AND ${d} <= toDate('${day(ctx.to)}')) AND (${t} >= ${from} AND ${t} <= ${to})`,
    timeInterval: ([c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${seconds} second)`,
    timeInterval_ms: ([c]) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${ms} millisecond)`,
    interval_s: () => String(seconds),
  };
  expansions.dt = expansions.dateTimeFilter as (args: string[]) => string;
  const argCount: Record<string, number> = {
    timeFilter: 1,
    timeFilter_ms: 1,
    dateFilter: 1,
    dateTimeFilter: 2,
    dt: 2,
    timeInterval: 1,
    timeInterval_ms: 1,
  };
  let out = sql;
  // Longest names first, so that `$__timeFilter_ms` is never read as `$__timeFilter`.
  for (const name of Object.keys(expansions).sort((a, b) => b.length - a.length)) {
    const token = `$__${name}`;
    let at = out.indexOf(token);
    while (at !== -1) {
      const after = at + token.length;
      if (/\w/.test(out[after] ?? '')) {
        at = out.indexOf(token, after);
        continue;
      }
      let args: string[] = [];
      let end = after;
      if (out[after] === '(') ({ args, end } = macroArgs(out, after));
      const want = argCount[name] ?? 0;
      if (args.length !== want)
        throw new Error(`${token}: expected ${want} argument(s), received ${args.length}`);
      const text = (expansions[name] as (a: string[]) => string)(args);
      out = out.slice(0, at) + text + out.slice(end);
      at = out.indexOf(token, at + text.length);
    }
  }
  return out;
}

/** What ClickHouse receives for a panel's SQL. */
export function expandQuery(sql: string, ctx: ExpandContext): string {
  return expandMacros(replaceVariables(sql, ctx), ctx);
}

/*
 * Prometheus panels. Grafana (11.6, core Prometheus data source) expands a panel's PromQL in two steps:
 *
 * 1. In the browser, template variables (`templateSrv.replace` with the data source's `interpolateQueryExpr`):
 *    a variable that is neither multi-value nor has All is inserted with `\` and `'` escaped; otherwise each
 *    value is regex-escaped and several are joined as `(a|b)` (they stand in `=~` matchers); All inserts
 *    every option so, or the custom all value as it is. The interval and range variables are left for step 2.
 * 2. In the backend (pkg/promlib), the step and the interval variables. The step is the panel interval:
 *    the range over the panel's max data points, rounded to Grafana's nice intervals (`roundInterval`), at
 *    least the data source's scrape interval (its `timeInterval`, 15 s when unset) and range / 11,000.
 *    `$__interval` is the step (`15s`, `1m`), `$__interval_ms`; `$__range` the range in whole seconds
 *    (`300s`), `$__range_s`, `$__range_ms`; `$__rate_interval` max(step + scrape interval, 4 × scrape
 *    interval), written as a Go duration (`1m0s`), `$__rate_interval_ms`. Both `$__x` and `${__x}`.
 *    A range query runs from `from` to `to` aligned down to the step, an instant query at aligned `to`.
 */

export interface PromVariableValue extends VariableValue {
  /** The variable allows several values. */
  multi?: boolean;
  /** The variable offers All. */
  includeAll?: boolean;
}

export interface PromExpandContext {
  from: Date;
  to: Date;
  /** The data source's scrape interval (`jsonData.timeInterval`), milliseconds. */
  scrapeIntervalMs: number;
  /** The panel's max data points (Grafana's default: the panel's width in pixels). */
  maxDataPoints: number;
  variables: Record<string, PromVariableValue>;
}

export interface PromRequest {
  /** The PromQL Prometheus receives. */
  expr: string;
  /** The step, milliseconds. */
  stepMs: number;
  /** Range start and end (instant queries: the evaluation time is `end`), aligned to the step. */
  start: Date;
  end: Date;
}

/** Grafana's `roundInterval` (pkg/gtime): the nice interval a computed one is rounded to, ms. */
const NICE_INTERVALS: [number, number][] = [
  [10, 1],
  [15, 10],
  [35, 20],
  [75, 50],
  [150, 100],
  [350, 200],
  [750, 500],
  [1_500, 1_000],
  [3_500, 2_000],
  [7_500, 5_000],
  [12_500, 10_000],
  [17_500, 15_000],
  [25_000, 20_000],
  [45_000, 30_000],
  [90_000, 60_000],
  [210_000, 120_000],
  [450_000, 300_000],
  [750_000, 600_000],
  [1_050_000, 900_000],
  [1_500_000, 1_200_000],
  [2_700_000, 1_800_000],
  [5_400_000, 3_600_000],
  [9_000_000, 7_200_000],
  [16_200_000, 10_800_000],
  [32_400_000, 21_600_000],
  [86_400_000, 43_200_000],
  [604_800_000, 86_400_000],
  [1_814_400_000, 604_800_000],
  [3_628_800_000, 2_592_000_000],
];

function roundInterval(ms: number): number {
  return NICE_INTERVALS.find(([upTo]) => ms <= upTo)?.[1] ?? 31_536_000_000;
}

/** Grafana's `gtime.FormatInterval`: the largest whole unit (`15s`, `1m`, `2h`, `1d`). */
function formatInterval(ms: number): string {
  for (const [unit, size] of [
    ['y', 31_536_000_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  return `${Math.max(Math.floor(ms), 1)}ms`;
}

/** Go's `time.Duration.String()` (`45s`, `1m0s`, `1h2m3s`, `1.5s`, `500ms`), as promlib writes `$__rate_interval`. */
function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = `${(ms % 60_000) / 1000}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

/** The Prometheus data source's `prometheusSpecialRegexEscape`. */
const regexEscape = (v: string) => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');

function promFormat(v: PromVariableValue, value: string | string[]): string {
  if (!v.multi && !v.includeAll)
    return (Array.isArray(value) ? value.join(',') : value).replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
  const list = (Array.isArray(value) ? value : [value]).map(regexEscape);
  return list.length === 1 ? (list[0] as string) : `(${list.join('|')})`;
}

/** What Prometheus receives for a panel's PromQL, with the step and the aligned range. */
export function expandPromql(expr: string, ctx: PromExpandContext): PromRequest {
  const rangeMs = ctx.to.getTime() - ctx.from.getTime();
  // The panel interval (the frontend's `calculateInterval`, sent as intervalMs: rounded, at least the
  // scrape interval), then promlib's floor of range / 11,000.
  const intervalMs = Math.max(roundInterval(rangeMs / ctx.maxDataPoints), ctx.scrapeIntervalMs);
  let safe = rangeMs / 11_000;
  if (safe > 1000) safe = Math.ceil(safe / 1000) * 1000;
  const stepMs = Math.max(intervalMs, safe);
  const rateMs = Math.max(stepMs + ctx.scrapeIntervalMs, 4 * ctx.scrapeIntervalMs);
  const rangeS = Math.round(rangeMs / 1000);

  // Step 1: template variables (Grafana's own `__…` variables are the backend's, step 2).
  let out = expr.replace(VARIABLE_PATTERN, (match, n1, n2, f2, n3, _field, f3) => {
    const name: string = n1 ?? n2 ?? n3;
    const format: string | undefined = f2 ?? f3;
    const v = ctx.variables[name];
    if (name.startsWith('__') || !v) return match;
    const isAll = v.value === ALL || (Array.isArray(v.value) && v.value.includes(ALL));
    if (isAll && v.allValue !== undefined) return v.allValue;
    const value = isAll ? (v.options ?? []) : v.value;
    return format === undefined ? promFormat(v, value) : formatValue(value, format);
  });
  // Step 2: promlib's interpolation, in its order (the `_ms` and `_s` forms before the plain ones).
  const builtins: [string, string][] = [
    ['__interval_ms', String(stepMs)],
    ['__interval', formatInterval(stepMs)],
    ['__range_ms', String(rangeMs)],
    ['__range_s', String(rangeS)],
    ['__range', `${rangeS}s`],
    ['__rate_interval_ms', String(rateMs)],
    ['__rate_interval', goDuration(rateMs)],
  ];
  for (const [name, value] of builtins)
    out = out.replaceAll(`$${name}`, value).replaceAll(`\${${name}}`, value);
  const align = (d: Date) => new Date(Math.floor(d.getTime() / stepMs) * stepMs);
  return { expr: out, stepMs, start: align(ctx.from), end: align(ctx.to) };
}
