import { z } from 'zod';

/**
 * The queue catalogue: every BullMQ queue and job of Shewhart, declared once — payload schema, attempts,
 * backoff, retention. The BullMQ adapter and the in-process runner both read it, so the embedded
 * default retries exactly like the scaled deployment.
 */

export interface JobSpec<S extends z.ZodType> {
  queue: string;
  name: string;
  schema: S;
  /** Default attempts (a route's `retry.attempts` overrides it for deliveries). */
  attempts: number;
  /** Exponential backoff from this base (a route's `retry.backoffMs` overrides it), with jitter. */
  backoffMs: number;
  /** Fraction of each delay drawn at random (0.5: between half and all of it), so retries spread out. */
  jitter: number;
  /** Completed jobs are kept this long (seconds) and at most this many. */
  keepCompleted: { age: number; count: number };
  /** Failed jobs: `false` keeps them all (BullMQ's `removeOnFail: false`), or this long / this many. */
  keepFailed: false | { age: number; count: number };
}

export const JOBS = {
  /** One message about one transition of one alert to one route; job id = delivery id. */
  deliver: {
    queue: 'alert-deliveries',
    name: 'deliver',
    schema: z.object({
      deliveryId: z.string().regex(/^[0-9a-f]{32}$/),
      /** The route's backoff base, read by the backoff strategy (which sees the job, not the route). */
      backoffMs: z.number().int().positive(),
    }),
    attempts: 8,
    backoffMs: 1_000,
    jitter: 0.5,
    keepCompleted: { age: 7 * 24 * 3600, count: 10_000 },
    // A delivery that exhausted its attempts stays listed: nothing is dropped silently.
    keepFailed: false,
  },
  /** Evaluate every alert rule (the schedule, and after each baseline refresh). */
  evaluate: {
    queue: 'alert-evaluation',
    name: 'evaluate',
    schema: z.object({
      reason: z.enum(['schedule', 'refresh', 'manual']),
      /** Scaled deployment: refresh baselines and signals first (no background refresher there). */
      refreshFirst: z.boolean().default(false),
    }),
    attempts: 3,
    backoffMs: 5_000,
    jitter: 0.5,
    keepCompleted: { age: 24 * 3600, count: 100 },
    // A failed evaluation changes nothing (the next one redoes it); keep enough to diagnose an outage
    // without growing by one job per interval forever.
    keepFailed: { age: 7 * 24 * 3600, count: 1_000 },
  },
  /** Generate and keep the review pack of the last closed quarter, once (packages/report, bullmq.schedule.ts). */
  reviewPack: {
    queue: 'review-packs',
    name: 'generate',
    schema: z.object({ reason: z.enum(['schedule', 'manual']) }),
    attempts: 3,
    backoffMs: 60_000,
    jitter: 0.5,
    keepCompleted: { age: 90 * 24 * 3600, count: 100 },
    keepFailed: { age: 90 * 24 * 3600, count: 100 },
  },
} as const satisfies Record<string, JobSpec<z.ZodType>>;

export type JobName = keyof typeof JOBS;
export type JobData<N extends JobName> = z.input<(typeof JOBS)[N]['schema']>;

/**
 * The delay before attempt `attemptsMade + 1`: base · 2^(attemptsMade − 1), capped at an hour, of which
 * `jitter` is random. The same function is BullMQ's custom backoff strategy and the in-process runner's
 * timer, so both follow one policy.
 */
export function backoffDelay(
  attemptsMade: number,
  baseMs: number,
  jitter: number,
  random = Math.random,
): number {
  const full = Math.min(3_600_000, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(full * (1 - jitter) + random() * full * jitter);
}
