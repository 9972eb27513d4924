/**
 * Process performance models by least squares (docs/methods.md §7.1): simple regression on centred sums
 * and multiple regression by Householder QR (stable on ill-conditioned designs such as Longley),
 * with prediction/confidence intervals and the probability of meeting an objective.
 */
import { tCdf, tQuantile } from '../dist.js';
import { assertFinite, assertFiniteArray, SpcInputError } from '../errors.js';

export type Direction = 'lower' | 'higher';

export interface Prediction {
  x: number[];
  /** ŷ₀. */
  fit: number;
  /** s·√(1 + leverage): standard error of a new observation. */
  sePrediction: number;
  /** s·√(leverage): standard error of the mean response. */
  seMean: number;
  /** Prediction interval for a new observation at `level`. */
  predictionInterval: [number, number];
  /** Confidence interval for the mean response at `level`. */
  confidenceInterval: [number, number];
  level: number;
  df: number;
}

export interface RegressionModel {
  n: number;
  /** Number of estimated coefficients (intercept included). */
  p: number;
  df: number;
  /** [b₀, b₁, …] (b₀ only when the model has an intercept). */
  coefficients: number[];
  standardErrors: number[];
  residualSd: number;
  sse: number;
  rSquared: number;
  residuals: number[];
  intercept: boolean;
  predict(x: number | readonly number[], level?: number): Prediction;
  /** P(Y₀ meets target) = F_t((target − ŷ₀)/SE_pred) for `lower` (Y₀ ≤ target), its complement for `higher`. */
  probabilityOfMeeting(x: number | readonly number[], target: number, direction?: Direction): number;
}

function interval(center: number, half: number): [number, number] {
  return [center - half, center + half];
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1))
    throw new SpcInputError(`confidence level must be in (0, 1) (got ${level})`, 'level');
}

/** y = b₀ + b₁x + ε with the §7.1 formulas (Sxx, Sxy on centred data). */
export function simpleRegression(
  x: readonly number[],
  y: readonly number[],
): RegressionModel & {
  slope: number;
  interceptValue: number;
  sxx: number;
  xMean: number;
} {
  assertFiniteArray(x, 'x');
  assertFiniteArray(y, 'y');
  if (x.length !== y.length) throw new SpcInputError(`x and y differ in length (${x.length} vs ${y.length})`);
  const n = x.length;
  if (n < 3)
    throw new SpcInputError(`a regression with a prediction interval needs at least 3 points (got ${n})`);
  let xm = 0;
  let ym = 0;
  for (let i = 0; i < n; i++) {
    xm += x[i] as number;
    ym += y[i] as number;
  }
  xm /= n;
  ym /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - xm;
    const dy = (y[i] as number) - ym;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) throw new SpcInputError('x has no variation, so the slope is undefined', 'x');
  const b1 = sxy / sxx;
  const b0 = ym - b1 * xm;
  const residuals = x.map((xi, i) => (y[i] as number) - (b0 + b1 * xi));
  const sse = residuals.reduce((s, r) => s + r * r, 0);
  const df = n - 2;
  const s = Math.sqrt(sse / df);
  const leverage = (x0: number) => 1 / n + (x0 - xm) ** 2 / sxx;
  const predict = (xv: number | readonly number[], level = 0.95): Prediction => {
    checkLevel(level);
    const x0 = typeof xv === 'number' ? xv : (xv[0] as number);
    assertFinite(x0, 'x0');
    const fit = b0 + b1 * x0;
    const h = leverage(x0);
    const q = tQuantile(1 - (1 - level) / 2, df);
    const sePrediction = s * Math.sqrt(1 + h);
    const seMean = s * Math.sqrt(h);
    return {
      x: [x0],
      fit,
      sePrediction,
      seMean,
      predictionInterval: interval(fit, q * sePrediction),
      confidenceInterval: interval(fit, q * seMean),
      level,
      df,
    };
  };
  return {
    n,
    p: 2,
    df,
    coefficients: [b0, b1],
    standardErrors: [s * Math.sqrt(1 / n + (xm * xm) / sxx), s / Math.sqrt(sxx)],
    residualSd: s,
    sse,
    rSquared: syy > 0 ? 1 - sse / syy : 1,
    residuals,
    intercept: true,
    slope: b1,
    interceptValue: b0,
    sxx,
    xMean: xm,
    predict,
    probabilityOfMeeting: (xv, target, direction = 'lower') => probability(predict(xv), target, direction, s),
  };
}

function probability(pred: Prediction, target: number, direction: Direction, s: number): number {
  assertFinite(target, 'target');
  if (!(s > 0)) {
    // A perfect fit: the outcome is the prediction itself.
    return (direction === 'lower' ? pred.fit <= target : pred.fit >= target) ? 1 : 0;
  }
  const below = tCdf((target - pred.fit) / pred.sePrediction, pred.df);
  return direction === 'lower' ? below : 1 - below;
}

/**
 * Multiple regression y = Xb + ε by Householder QR. `rows[i]` are the predictors of observation i;
 * an intercept column is added unless `intercept: false`.
 */
export function multipleRegression(
  rows: readonly (readonly number[])[],
  y: readonly number[],
  options: { intercept?: boolean } = {},
): RegressionModel {
  const intercept = options.intercept ?? true;
  assertFiniteArray(y, 'y');
  const n = rows.length;
  if (n !== y.length) throw new SpcInputError(`x rows and y differ in length (${n} vs ${y.length})`);
  if (n === 0) throw new SpcInputError('the regression data are empty');
  const k = (rows[0] as readonly number[]).length;
  rows.forEach((r, i) => {
    if (r.length !== k)
      throw new SpcInputError(`row ${i + 1} has ${r.length} predictors, expected ${k}`, 'x');
    assertFiniteArray(r, `x[${i + 1}]`);
  });
  const p = k + (intercept ? 1 : 0);
  if (n <= p) throw new SpcInputError(`${p} coefficients need more than ${p} observations (got ${n})`);
  // Column-major copy of the design matrix, reduced in place to R.
  const a: Float64Array[] = [];
  if (intercept) a.push(new Float64Array(n).fill(1));
  for (let j = 0; j < k; j++) a.push(Float64Array.from(rows, (r) => r[j] as number));
  const qty = Float64Array.from(y);
  const rDiag = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const col = a[j] as Float64Array;
    let norm = 0;
    for (let i = j; i < n; i++) norm += (col[i] as number) ** 2;
    norm = Math.sqrt(norm);
    const scale = Math.max(...Array.from(col.subarray(j), Math.abs), 0);
    if (!(norm > 1e-13 * Math.max(1, scale) * n)) {
      throw new SpcInputError(
        `predictor ${intercept ? j : j + 1} is collinear with the others; the model is not identifiable`,
        'x',
      );
    }
    const alpha = (col[j] as number) > 0 ? -norm : norm;
    const v = new Float64Array(n - j);
    for (let i = j; i < n; i++) v[i - j] = col[i] as number;
    v[0] = (v[0] as number) - alpha;
    let vv = 0;
    for (const vi of v) vv += vi * vi;
    const apply = (target: Float64Array) => {
      let dot = 0;
      for (let i = j; i < n; i++) dot += (v[i - j] as number) * (target[i] as number);
      const f = (2 * dot) / vv;
      for (let i = j; i < n; i++) target[i] = (target[i] as number) - f * (v[i - j] as number);
    };
    for (let c = j; c < p; c++) apply(a[c] as Float64Array);
    apply(qty);
    rDiag[j] = (a[j] as Float64Array)[j] as number;
  }
  const R = (i: number, j: number) => (a[j] as Float64Array)[i] as number;
  const b = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let s = qty[i] as number;
    for (let j = i + 1; j < p; j++) s -= R(i, j) * (b[j] as number);
    b[i] = s / R(i, i);
  }
  let sse = 0;
  for (let i = p; i < n; i++) sse += (qty[i] as number) ** 2;
  const residuals = rows.map((r, i) => {
    let fit = intercept ? (b[0] as number) : 0;
    for (let j = 0; j < k; j++) fit += (b[j + (intercept ? 1 : 0)] as number) * (r[j] as number);
    return (y[i] as number) - fit;
  });
  const df = n - p;
  const s = Math.sqrt(sse / df);
  /** Solves Rᵀw = x; then xᵀ(XᵀX)⁻¹x = ‖w‖². */
  const leverage = (x0: readonly number[]) => {
    const w = new Array<number>(p).fill(0);
    for (let i = 0; i < p; i++) {
      let t = x0[i] as number;
      for (let j = 0; j < i; j++) t -= R(j, i) * (w[j] as number);
      w[i] = t / R(i, i);
    }
    return w.reduce((acc, v) => acc + v * v, 0);
  };
  const unit = (j: number) => Array.from({ length: p }, (_, i) => (i === j ? 1 : 0));
  const standardErrors = b.map((_, j) => s * Math.sqrt(leverage(unit(j))));
  let ym = 0;
  for (const v of y) ym += v;
  ym /= n;
  let sst = 0;
  for (const v of y) sst += intercept ? (v - ym) ** 2 : v * v;
  const predict = (xv: number | readonly number[], level = 0.95): Prediction => {
    checkLevel(level);
    const x = typeof xv === 'number' ? [xv] : [...xv];
    if (x.length !== k)
      throw new SpcInputError(`a prediction needs ${k} predictor value(s) (got ${x.length})`, 'x0');
    assertFiniteArray(x, 'x0');
    const x0 = intercept ? [1, ...x] : x;
    const fit = x0.reduce((acc, v, j) => acc + v * (b[j] as number), 0);
    const h = leverage(x0);
    const q = tQuantile(1 - (1 - level) / 2, df);
    const sePrediction = s * Math.sqrt(1 + h);
    const seMean = s * Math.sqrt(h);
    return {
      x,
      fit,
      sePrediction,
      seMean,
      predictionInterval: interval(fit, q * sePrediction),
      confidenceInterval: interval(fit, q * seMean),
      level,
      df,
    };
  };
  return {
    n,
    p,
    df,
    coefficients: b,
    standardErrors,
    residualSd: s,
    sse,
    rSquared: sst > 0 ? 1 - sse / sst : 1,
    residuals,
    intercept,
    predict,
    probabilityOfMeeting: (xv, target, direction = 'lower') => probability(predict(xv), target, direction, s),
  };
}
