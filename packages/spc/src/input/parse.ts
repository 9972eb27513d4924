/**
 * Parsing of `shewhart spc` input: a CSV (one value column; `count,size` columns; or one row per
 * subgroup; comma, semicolon or tab separated, see csv.ts) or a JSON document. Every rejection names
 * the line/field; nothing non-numeric gets through.
 */

import type { ChartSpec } from '../charts/engine.js';
import { CHART_TYPES, type ChartType } from '../charts/types.js';
import { SpcInputError } from '../errors.js';
import { cellNumber, readCsv, requireNumber } from './csv.js';

const ATTRIBUTE: readonly ChartType[] = ['p', 'np', 'u', 'p-prime', 'u-prime'];

/** Default chart by the data's shape (docs/methods.md §5.4: X̄-R up to n = 9, X̄-S from 10 or with varying n). */
export function defaultChart(spec: Partial<ChartSpec>): ChartType {
  if (spec.counts !== undefined) {
    if (spec.sizes === undefined) return 'c';
    const binomial = spec.sizes.every((n, i) => Number.isInteger(n) && (spec.counts?.[i] ?? 0) <= n);
    return binomial ? 'p' : 'u';
  }
  if (spec.subgroups !== undefined) {
    const n = spec.subgroups[0]?.length ?? 0;
    return spec.subgroups.every((g) => g.length === n) && n <= 9 ? 'xbar-r' : 'xbar-s';
  }
  return 'xmr';
}

/** Parses CSV text; `chart` (when known) decides how multi-column rows are read. */
export function parseCsv(text: string, chart?: ChartType): Partial<ChartSpec> {
  const { delimiter, rows } = readCsv(text);
  if (rows.length === 0) throw new SpcInputError('the input is empty: there are no values to chart');
  let header: string[] | null = null;
  const first = (rows[0] as { cells: string[] }).cells;
  if (first.some((c) => cellNumber(c, delimiter) === null)) {
    header = first.map((c) => c.toLowerCase());
    rows.shift();
  }
  if (rows.length === 0) throw new SpcInputError('the input has a header but no data rows');
  const table = rows.map(({ cells, line }) => {
    // Trailing empty cells allow subgroups of varying size in one CSV.
    const kept = [...cells];
    while (kept.length > 1 && kept[kept.length - 1] === '') kept.pop();
    return kept.map((c, j) => requireNumber(c, delimiter, line, j + 1));
  });
  const sizeCol = header ? header.findIndex((h) => h === 'size' || h === 'sizes' || h === 'n') : -1;
  // qcc's datasets call the count column D or x; accept those names only beside a size column.
  const countCol = header
    ? header.findIndex((h) => h === 'count' || h === 'counts' || (sizeCol >= 0 && (h === 'd' || h === 'x')))
    : -1;
  const width = Math.max(...table.map((r) => r.length));
  const byColumns = countCol >= 0 || (chart !== undefined && (ATTRIBUTE.includes(chart) || chart === 'c'));
  if (byColumns) {
    const ci = Math.max(countCol, 0);
    // A c chart needs no size column; otherwise the second column holds the sizes.
    const si = sizeCol >= 0 ? sizeCol : chart === 'c' && width === 1 ? -1 : 1;
    const counts = table.map((r, k) => {
      const v = r[ci];
      if (v === undefined)
        throw new SpcInputError(`line ${(rows[k] as { line: number }).line}: the count column is missing`);
      return v;
    });
    if (si < 0) return { counts };
    const sizes = table.map((r, k) => {
      const v = r[si];
      if (v === undefined) {
        throw new SpcInputError(
          `line ${(rows[k] as { line: number }).line}: the size column is missing (expected count,size)`,
        );
      }
      return v;
    });
    return { counts, sizes };
  }
  if (width === 1) return { values: table.map((r) => r[0] as number) };
  return { subgroups: table };
}

type Json = Record<string, unknown>;

function numberField(doc: Json, key: string): number | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new SpcInputError(`"${key}" must be a number (got ${JSON.stringify(v)})`, key);
  return v;
}

function numberArray(v: unknown, key: string): number[] {
  if (!Array.isArray(v)) throw new SpcInputError(`"${key}" must be an array of numbers`, key);
  return v.map((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new SpcInputError(`${key}[${i + 1}] is not a number (got ${JSON.stringify(x)})`, key);
    }
    return x;
  });
}

/** Parses the JSON document form of the input. */
export function parseJsonDocument(text: string): Partial<ChartSpec> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SpcInputError(`the input is not valid JSON: ${(e as Error).message}`);
  }
  if (Array.isArray(doc)) return { values: numberArray(doc, 'values') };
  if (typeof doc !== 'object' || doc === null)
    throw new SpcInputError('the JSON input must be an object or an array');
  const d = doc as Json;
  const out: Partial<ChartSpec> = {};
  if (d.chart !== undefined) out.chart = parseChartName(d.chart);
  if (d.values !== undefined) out.values = numberArray(d.values, 'values');
  if (d.subgroups !== undefined) {
    if (!Array.isArray(d.subgroups))
      throw new SpcInputError('"subgroups" must be an array of arrays', 'subgroups');
    out.subgroups = d.subgroups.map((g, i) => numberArray(g, `subgroups[${i + 1}]`));
  }
  if (d.counts !== undefined) out.counts = numberArray(d.counts, 'counts');
  if (d.sizes !== undefined) out.sizes = numberArray(d.sizes, 'sizes');
  if (d.rules !== undefined) {
    if (typeof d.rules !== 'string' && !Array.isArray(d.rules)) {
      throw new SpcInputError('"rules" must be a rule-set name or an array of rule names', 'rules');
    }
    out.rules = d.rules as string | string[];
  }
  out.phase1 = numberField(d, 'phase1');
  if (d.exclude !== undefined) out.exclude = numberArray(d.exclude, 'exclude');
  if (d.stages !== undefined) out.stages = numberArray(d.stages, 'stages');
  out.center = numberField(d, 'center');
  out.sigma = numberField(d, 'sigma');
  if (d.sigmaMethod !== undefined) out.sigmaMethod = d.sigmaMethod as ChartSpec['sigmaMethod'];
  if (d.spec !== undefined && d.spec !== null) {
    if (typeof d.spec !== 'object')
      throw new SpcInputError('"spec" must be an object {lsl, usl, target}', 'spec');
    const s = d.spec as Json;
    out.spec = { lsl: numberField(s, 'lsl'), usl: numberField(s, 'usl'), target: numberField(s, 'target') };
  }
  if (d.ewma !== undefined && d.ewma !== null) {
    if (typeof d.ewma !== 'object')
      throw new SpcInputError('"ewma" must be an object {lambda, L, target, sigma}', 'ewma');
    const e = d.ewma as Json;
    out.ewma = {
      lambda: numberField(e, 'lambda'),
      L: numberField(e, 'L'),
      target: numberField(e, 'target'),
      sigma: numberField(e, 'sigma'),
    };
  }
  for (const k of Object.keys(out) as (keyof ChartSpec)[]) if (out[k] === undefined) delete out[k];
  return out;
}

export function parseChartName(v: unknown): ChartType {
  const name = typeof v === 'string' ? v.trim().toLowerCase() : '';
  const aliases: Record<string, ChartType> = {
    'i-mr': 'xmr',
    imr: 'xmr',
    individuals: 'xmr',
    xbar: 'xbar-r',
  };
  const chart = aliases[name] ?? (CHART_TYPES as readonly string[]).find((c) => c === name);
  if (!chart)
    throw new SpcInputError(`unknown chart "${String(v)}": use one of ${CHART_TYPES.join(', ')}`, 'chart');
  return chart as ChartType;
}

/** Parses CSV or JSON text (detected by the first character) into a partial chart spec. */
export function parseChartInput(text: string, chart?: ChartType): Partial<ChartSpec> {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const doc = parseJsonDocument(trimmed);
    return doc;
  }
  const parsed = parseCsv(text, chart);
  return chart ? { ...parsed, chart } : parsed;
}

/** Parses a sample for `compare`: one number per line (CSV first column), or a JSON array / {values}. */
export function parseSample(text: string, name: string): number[] {
  const trimmed = text.trimStart();
  let values: readonly number[] | undefined;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) values = parseJsonDocument(trimmed).values;
  else {
    const csv = parseCsv(text);
    values = csv.values ?? csv.subgroups?.map((r) => r[0] as number);
  }
  if (!values || values.length === 0) throw new SpcInputError(`the ${name} sample is empty`, name);
  return [...values];
}
