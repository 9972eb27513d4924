/**
 * Seeded Monte Carlo for objective attainment (docs/methods.md §7.2). The PRNG is xoshiro128** seeded
 * through splitmix32, recorded with the seed so any run can be reproduced exactly.
 */

import { normalQuantile } from '../dist.js';
import { assertFinite, assertFiniteArray, SpcInputError } from '../errors.js';
import { quantileSorted } from '../stats.js';

export const PRNG_ALGORITHM = 'xoshiro128**';

/** xoshiro128** returning uniforms in [0, 1) with 32 bits of resolution. */
export function createRng(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new SpcInputError(`seed must be a whole number (got ${seed})`, 'seed');
  let sm = seed >>> 0;
  const splitmix = () => {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    return result / 4294967296;
  };
}

export type InputDistribution =
  | { kind: 'normal'; mean: number; sd: number }
  | { kind: 'lognormal'; meanLog: number; sdLog: number }
  | { kind: 'triangular'; min: number; mode: number; max: number }
  | { kind: 'uniform'; min: number; max: number }
  /** Bootstrap: resample the baseline values with replacement (the default when n ≥ 20). */
  | { kind: 'empirical'; values: readonly number[] }
  | { kind: 'constant'; value: number };

export interface Objective {
  target: number;
  /** `lower`: the outcome meets the objective when ≤ target; `higher`: when ≥ target. */
  direction: 'lower' | 'higher';
}

export interface MonteCarloConfig {
  inputs?: Record<string, InputDistribution>;
  /** Inputs known to be correlated, sampled jointly by resampling whole historical rows. */
  joint?: { columns: readonly string[]; rows: readonly (readonly number[])[] };
  model: (sample: Readonly<Record<string, number>>) => number;
  objective: Objective;
  iterations?: number;
  seed?: number;
}

export interface MonteCarloResult {
  iterations: number;
  seed: number;
  algorithm: string;
  attained: number;
  pAttain: number;
  /** Wilson 95 % interval for P(attain). */
  wilson95: [number, number];
  mean: number;
  p50: number;
  p85: number;
  p95: number;
}

/** Wilson score interval: [p̂ + z²/2N ± z√(p̂(1−p̂)/N + z²/4N²)] / (1 + z²/N). */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (!(Number.isInteger(n) && n > 0)) throw new SpcInputError(`the Wilson interval needs N > 0 (got ${n})`);
  if (!(successes >= 0 && successes <= n))
    throw new SpcInputError(`successes must be in 0..${n} (got ${successes})`);
  const p = successes / n;
  const z2 = z * z;
  const center = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const den = 1 + z2 / n;
  return [Math.max(0, (center - half) / den), Math.min(1, (center + half) / den)];
}

function sampler(name: string, d: InputDistribution, rng: () => number): () => number {
  const field = `inputs.${name}`;
  switch (d.kind) {
    case 'normal':
    case 'lognormal': {
      const mu = d.kind === 'normal' ? d.mean : d.meanLog;
      const sd = d.kind === 'normal' ? d.sd : d.sdLog;
      assertFinite(mu, `${field}.mean`);
      if (!(Number.isFinite(sd) && sd >= 0))
        throw new SpcInputError(`${field}: sd must be ≥ 0 (got ${sd})`, field);
      // Inverse-CDF sampling keeps one uniform per draw, so streams stay aligned across what-if runs.
      const draw = () => mu + sd * normalQuantile((Math.floor(rng() * 4294967296) + 0.5) / 4294967296);
      return d.kind === 'normal' ? draw : () => Math.exp(draw());
    }
    case 'triangular': {
      const { min, mode, max } = d;
      if (!(min <= mode && mode <= max && min < max)) {
        throw new SpcInputError(`${field}: triangular needs min ≤ mode ≤ max and min < max`, field);
      }
      const f = (mode - min) / (max - min);
      return () => {
        const u = rng();
        return u < f
          ? min + Math.sqrt(u * (max - min) * (mode - min))
          : max - Math.sqrt((1 - u) * (max - min) * (max - mode));
      };
    }
    case 'uniform': {
      if (!(d.min < d.max)) throw new SpcInputError(`${field}: uniform needs min < max`, field);
      return () => d.min + rng() * (d.max - d.min);
    }
    case 'empirical': {
      if (d.values.length === 0)
        throw new SpcInputError(`${field}: empirical distribution has no values`, field);
      assertFiniteArray(d.values, field);
      const v = d.values;
      return () => v[Math.floor(rng() * v.length)] as number;
    }
    case 'constant':
      assertFinite(d.value, field);
      return () => d.value;
    default:
      throw new SpcInputError(`${field}: unknown distribution kind`, field);
  }
}

export function monteCarlo(config: MonteCarloConfig): MonteCarloResult {
  const iterations = config.iterations ?? 10_000;
  const seed = config.seed ?? 1;
  if (!(Number.isInteger(iterations) && iterations > 0)) {
    throw new SpcInputError(`iterations must be a positive whole number (got ${iterations})`, 'iterations');
  }
  assertFinite(config.objective.target, 'objective.target');
  if (config.objective.direction !== 'lower' && config.objective.direction !== 'higher') {
    throw new SpcInputError('objective.direction must be "lower" or "higher"', 'objective.direction');
  }
  const rng = createRng(seed);
  const samplers = Object.entries(config.inputs ?? {}).map(
    ([name, d]) => [name, sampler(name, d, rng)] as const,
  );
  const joint = config.joint;
  if (joint) {
    if (joint.rows.length === 0) throw new SpcInputError('joint.rows is empty', 'joint');
    joint.rows.forEach((r, i) => {
      if (r.length !== joint.columns.length)
        throw new SpcInputError(`joint row ${i + 1} does not match the columns`, 'joint');
      assertFiniteArray(r, `joint.rows[${i + 1}]`);
    });
  }
  const outcomes = new Float64Array(iterations);
  const sample: Record<string, number> = {};
  let attained = 0;
  let total = 0;
  for (let it = 0; it < iterations; it++) {
    for (const [name, draw] of samplers) sample[name] = draw();
    if (joint) {
      const row = joint.rows[Math.floor(rng() * joint.rows.length)] as readonly number[];
      joint.columns.forEach((c, j) => {
        sample[c] = row[j] as number;
      });
    }
    const y = config.model(sample);
    if (!Number.isFinite(y))
      throw new SpcInputError(`the model returned a non-finite outcome (${y}) at iteration ${it + 1}`);
    outcomes[it] = y;
    total += y;
    if (config.objective.direction === 'lower' ? y <= config.objective.target : y >= config.objective.target)
      attained++;
  }
  outcomes.sort();
  return {
    iterations,
    seed,
    algorithm: PRNG_ALGORITHM,
    attained,
    pAttain: attained / iterations,
    wilson95: wilsonInterval(attained, iterations),
    mean: total / iterations,
    p50: quantileSorted(outcomes, 0.5),
    p85: quantileSorted(outcomes, 0.85),
    p95: quantileSorted(outcomes, 0.95),
  };
}
