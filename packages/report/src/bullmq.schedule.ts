import { JOBS } from '@shewhart/alerts';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { PackSources } from './context.js';
import { PackScheduler, type PackSchedulerOptions } from './scheduler.js';

/** Longer than any generation (a pack takes seconds to a minute); a crashed worker's lock expires. */
const LOCK_MS = 30 * 60_000;
/** Deletes the lock only if this job still holds it. */
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** The fixed id of the pack schedule: reconciled at boot, whatever interval an earlier release set. */
export const PACK_SCHEDULER_ID = 'review-pack-after-quarter';

export interface PackJobsOptions extends PackSchedulerOptions {
  redisUrl: string;
  prefix: string;
}

/**
 * The scaled deployment's pack schedule: a BullMQ job scheduler (queue catalogue: `JOBS.reviewPack` of
 * @shewhart/alerts) that asks every `intervalMs` (default 1 h) for the pack of the last closed quarter, and
 * a worker in this process that generates and keeps it once (`PackScheduler.runOnce`). However many
 * workers run, BullMQ hands each job to one of them, so a quarter's pack is generated once.
 */
export async function startPackJobs(
  sources: PackSources,
  options: PackJobsOptions,
): Promise<{ queue: Queue; close(): Promise<void> }> {
  const spec = JOBS.reviewPack;
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(spec.queue, { connection, prefix: options.prefix });
  const packs = new PackScheduler(sources, options);
  await queue.upsertJobScheduler(
    PACK_SCHEDULER_ID,
    // The first look after `firstDelayMs` (default 5 min), as in process: a new deployment loads its data first.
    { every: options.intervalMs ?? 3_600_000, startDate: Date.now() + (options.firstDelayMs ?? 300_000) },
    {
      name: spec.name,
      data: spec.schema.parse({ reason: 'schedule' }),
      opts: {
        attempts: spec.attempts,
        backoff: { type: 'exponential', delay: spec.backoffMs, jitter: spec.jitter },
        removeOnComplete: spec.keepCompleted,
        removeOnFail: spec.keepFailed,
      },
    },
  );
  // One generation at a time across every worker: a job that finds another generating leaves it to that
  // one (which keeps the pack; later jobs then find it kept).
  const lockKey = `${options.prefix}:review-packs:generating`;
  const worker = new Worker(
    spec.queue,
    async (job) => {
      spec.schema.parse(job.data);
      const token = `${process.pid}:${job.id}`;
      if ((await connection.set(lockKey, token, 'PX', LOCK_MS, 'NX')) !== 'OK')
        return { kept: null, busy: true };
      try {
        return { kept: await packs.runOnce() };
      } finally {
        await connection.eval(RELEASE, 1, lockKey, token);
      }
    },
    { connection: connection.duplicate(), prefix: options.prefix, concurrency: 1 },
  );
  worker.on('failed', (job, error) =>
    options.logger.warn({ err: error.message, attempts: job?.attemptsMade }, 'review pack job failed'),
  );
  return {
    queue,
    close: async () => {
      await worker.close();
      await packs.stop();
      await queue.close();
      connection.disconnect();
    },
  };
}
