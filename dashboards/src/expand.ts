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
