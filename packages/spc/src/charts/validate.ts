/** Validation of chart input and construction of the chart model for a chart type. */
import { assertFiniteArray, SpcInputError } from '../errors.js';
import { attributeModel } from './attribute.js';
import { type EwmaOptions, ewmaModel } from './ewma.js';
import { CHART_TYPES, type ChartModel, type ChartType, type SigmaMethod } from './types.js';
import { xbarModel } from './xbar.js';
import { xmrModel } from './xmr.js';

export interface ChartData {
  values?: readonly number[];
  subgroups?: readonly (readonly number[])[];
  counts?: readonly number[];
  sizes?: readonly number[];
}

function requireNonEmpty<T>(arr: readonly T[] | undefined, field: string, chart: ChartType): readonly T[] {
  if (arr === undefined) throw new SpcInputError(`the ${chart} chart needs "${field}"`, field);
  if (!Array.isArray(arr)) throw new SpcInputError(`${field} must be an array`, field);
  if (arr.length === 0) throw new SpcInputError(`${field} is empty: there is nothing to chart`, field);
  return arr;
}

function checkSubgroups(subgroups: readonly (readonly number[])[]): void {
  subgroups.forEach((g, i) => {
    if (!Array.isArray(g))
      throw new SpcInputError(`subgroups[${i + 1}] must be an array of numbers`, 'subgroups');
    assertFiniteArray(g, `subgroups[${i + 1}]`);
  });
}

function checkCounts(
  chart: ChartType,
  counts: readonly number[],
  sizes: readonly number[] | undefined,
): number[] {
  assertFiniteArray(counts, 'counts');
  counts.forEach((c, i) => {
    if (c < 0) throw new SpcInputError(`counts[${i + 1}] is negative (${c})`, 'counts');
  });
  const binomial = chart === 'p' || chart === 'np' || chart === 'p-prime';
  if (binomial) {
    counts.forEach((c, i) => {
      if (!Number.isInteger(c))
        throw new SpcInputError(`counts[${i + 1}] must be a whole number of items (${c})`, 'counts');
    });
  }
  if (sizes === undefined) {
    if (chart === 'c') return counts.map(() => 1);
    throw new SpcInputError(
      `the ${chart} chart needs "sizes" (items inspected or exposure per point)`,
      'sizes',
    );
  }
  if (!Array.isArray(sizes)) throw new SpcInputError('sizes must be an array', 'sizes');
  if (sizes.length !== counts.length) {
    throw new SpcInputError(
      `counts and sizes do not match: ${counts.length} counts but ${sizes.length} sizes`,
      'sizes',
    );
  }
  assertFiniteArray(sizes, 'sizes');
  sizes.forEach((n, i) => {
    if (!(n > 0)) throw new SpcInputError(`sizes[${i + 1}] must be positive (${n})`, 'sizes');
    if (binomial && !Number.isInteger(n)) {
      throw new SpcInputError(`sizes[${i + 1}] must be a whole number of items (${n})`, 'sizes');
    }
    if (binomial && (counts[i] as number) > n) {
      throw new SpcInputError(`counts[${i + 1}] (${counts[i]}) exceeds sizes[${i + 1}] (${n})`, 'counts');
    }
  });
  if ((chart === 'np' || chart === 'c') && sizes.some((n) => n !== sizes[0])) {
    const alt = chart === 'np' ? 'p' : 'u';
    throw new SpcInputError(
      `the ${chart} chart needs a constant subgroup size; use the ${alt} chart for varying sizes`,
      'sizes',
    );
  }
  return [...sizes];
}

/** Validates the data for `chart` and returns its model. */
export function buildModel(
  chart: ChartType,
  data: ChartData,
  options: { sigmaMethod?: SigmaMethod; ewma?: EwmaOptions } = {},
): ChartModel {
  if (!CHART_TYPES.includes(chart)) {
    throw new SpcInputError(
      `unknown chart "${String(chart)}": use one of ${CHART_TYPES.join(', ')}`,
      'chart',
    );
  }
  const method = options.sigmaMethod;
  const allowed: Record<ChartType, readonly SigmaMethod[]> = {
    xmr: ['mr', 'median-mr'],
    ewma: ['mr', 'r'],
    'xbar-r': ['r'],
    'xbar-s': ['s', 'pooled-s'],
    p: [],
    np: [],
    c: [],
    u: [],
    'p-prime': [],
    'u-prime': [],
  };
  if (method !== undefined && !allowed[chart].includes(method)) {
    throw new SpcInputError(
      `sigma method "${method}" does not apply to the ${chart} chart` +
        (allowed[chart].length ? ` (use ${allowed[chart].join(' or ')})` : ''),
      'sigmaMethod',
    );
  }
  switch (chart) {
    case 'xmr': {
      const values = requireNonEmpty(data.values, 'values', chart);
      assertFiniteArray(values, 'values');
      return xmrModel(values, { sigmaMethod: method === 'median-mr' ? 'median-mr' : 'mr' });
    }
    case 'xbar-r':
    case 'xbar-s': {
      const subgroups = requireNonEmpty(data.subgroups, 'subgroups', chart);
      checkSubgroups(subgroups);
      return xbarModel(subgroups, chart === 'xbar-r' ? 'R' : 'S', { pooled: method === 'pooled-s' });
    }
    case 'ewma': {
      if (data.subgroups !== undefined) {
        const subgroups = requireNonEmpty(data.subgroups, 'subgroups', chart);
        checkSubgroups(subgroups);
        return ewmaModel({ subgroups }, options.ewma);
      }
      const values = requireNonEmpty(data.values, 'values', chart);
      assertFiniteArray(values, 'values');
      return ewmaModel({ values }, options.ewma);
    }
    default: {
      const counts = requireNonEmpty(data.counts, 'counts', chart);
      const sizes = checkCounts(chart, counts, data.sizes);
      return attributeModel(chart, counts, sizes);
    }
  }
}
