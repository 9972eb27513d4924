import { monteCarlo } from '@shewhart/spc';

/**
 * Episodes, computed from data only (no I/O): the same points give the same episodes, whichever
 * process evaluates them and however often.
 */

export interface SignalEpisode {
  /** Period start of the first firing point. */
  start: string;
  firings: string[];
  /** The closed point that completed k quiet points, or the next stage's start; null while firing. */
  end: string | null;
  endReason: 'quiet' | 'stage_ended' | null;
}

/**
 * Episodes of one SPC rule in one stage of one series (docs/methods.md §8): an episode starts at a
 * closed Phase-II point where the rule fires, and ends after `k` consecutive closed points on which it
 * does not fire. An episode still open when its stage has ended (a process change or a recorded
 * decision started a new stage) ends with the stage: the limits it was judged against are no longer
 * in force.
 *
 * `points`: the stage's closed points (period starts); `firings`: those where the rule fired.
 */
export function signalEpisodes(
  points: readonly string[],
  firings: ReadonlySet<string>,
  k: number,
  nextStage: string | null,
): SignalEpisode[] {
  const all = [...new Set([...points, ...firings])].sort();
  const episodes: SignalEpisode[] = [];
  let current: (SignalEpisode & { quiet: number }) | null = null;
  for (const p of all) {
    if (nextStage !== null && p >= nextStage) break;
    if (firings.has(p)) {
      if (current === null) current = { start: p, firings: [p], end: null, endReason: null, quiet: 0 };
      else {
        current.firings.push(p);
        current.quiet = 0;
      }
    } else if (current !== null && ++current.quiet >= k) {
      const { quiet: _, ...episode } = current;
      episodes.push({ ...episode, end: p, endReason: 'quiet' });
      current = null;
    }
  }
  if (current !== null) {
    const { quiet: _, ...episode } = current;
    episodes.push(nextStage === null ? episode : { ...episode, end: nextStage, endReason: 'stage_ended' });
  }
  return episodes;
}

export interface PeriodOutcome {
  periodStart: string;
  status: 'met' | 'missed' | 'not_evaluable';
  actual: number | null;
}

export interface MissEpisode {
  periodStart: string;
  actual: number;
  /** The first later closed period that met the objective (the miss is over), or null. */
  metAgain: string | null;
}

/**
 * One episode per closed period that missed its objective; it ends when a later closed period meets
 * the objective again. `periods` must hold closed periods only (an open period is never judged).
 */
export function missEpisodes(periods: readonly PeriodOutcome[]): MissEpisode[] {
  const sorted = [...periods].sort((a, b) => a.periodStart.localeCompare(b.periodStart));
  return sorted.flatMap((p, i) => {
    if (p.status !== 'missed' || p.actual === null) return [];
    const next = sorted.slice(i + 1).find((q) => q.status === 'met');
    return [{ periodStart: p.periodStart, actual: p.actual, metAgain: next?.periodStart ?? null }];
  });
}

export interface AttainmentPrediction {
  pAttain: number;
  wilson95: [number, number];
  method: 'bootstrap' | 'normal';
  n: number;
  iterations: number;
  seed: number;
  algorithm: string;
  p50: number;
  p85: number;
  p95: number;
}

export type AttainCheck =
  | { direction: 'lower' | 'higher'; target: number }
  | { direction: 'range'; low: number; high: number };

/**
 * P(attain) for the period of a due date (docs/methods.md §7.2): the value of a future period of a
 * predictable process is a draw from its current stage, so the current stage's closed values are
 * resampled (bootstrap, from 20 values) or, with 5–19 values, a normal distribution is fitted to them.
 * Fewer than 5 values predict nothing. Seeded from the alert's fingerprint, so a re-evaluation of the
 * same data gives the same probability.
 */
export function predictAttainment(
  values: readonly number[],
  objective: AttainCheck,
  seed: number,
  iterations = 10_000,
): AttainmentPrediction | null {
  const n = values.length;
  if (n < 5) return null;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const method = n >= 20 ? 'bootstrap' : 'normal';
  const input =
    method === 'bootstrap' ? { kind: 'empirical' as const, values } : { kind: 'normal' as const, mean, sd };
  // A range objective is met inside the band: the outcome is the distance outside it (0 inside).
  const model =
    objective.direction === 'range'
      ? (s: Readonly<Record<string, number>>) => {
          const x = s.x as number;
          return x < objective.low ? objective.low - x : x > objective.high ? x - objective.high : 0;
        }
      : (s: Readonly<Record<string, number>>) => s.x as number;
  const r = monteCarlo({
    inputs: { x: input },
    model,
    objective:
      objective.direction === 'range'
        ? { direction: 'lower', target: 0 }
        : { direction: objective.direction, target: objective.target },
    iterations,
    seed,
  });
  return {
    pAttain: r.pAttain,
    wilson95: r.wilson95,
    method,
    n,
    iterations: r.iterations,
    seed: r.seed,
    algorithm: r.algorithm,
    p50: r.p50,
    p85: r.p85,
    p95: r.p95,
  };
}
