import { DelayedError, type Job, type MinimalJob, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { backoffDelay, JOBS, type JobData } from './catalogue.js';
import { attemptDelivery, type ProcessorDeps } from './deliver.processor.js';
import type { DeliveryQueue, QueueLogger, RetryLock } from './inline.queue.js';
import type { Delivery } from './model.js';
import { getDelivery, listDeliveries, writeDeliveries } from './store.js';

export interface BullOptions {
  redisUrl: string;
  /** Key prefix of every queue (tests use one per file; deployments one per environment). */
  prefix: string;
  logger?: QueueLogger;
}

function connection(url: string): Redis {
  // BullMQ's blocking commands need maxRetriesPerRequest: null (a worker waits on Redis indefinitely).
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** The queue of the `deliver` job alone (listing failed jobs, enqueueing from the evaluation). */
export function deliveriesQueue(options: BullOptions): { queue: Queue; close(): Promise<void> } {
  return catalogueQueue('deliver', options);
}

/** The queue of one job of the catalogue, on a connection of its own (inspection: tests, operators). */
export function catalogueQueue(
  job: keyof typeof JOBS,
  options: BullOptions,
): { queue: Queue; close(): Promise<void> } {
  const redis = connection(options.redisUrl);
  const queue = new Queue(JOBS[job].queue, { connection: redis, prefix: options.prefix });
  return {
    queue,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}

/**
 * The scaled deployment's delivery queue: one BullMQ job per delivery, job id = delivery id, so adding
 * the same transition twice adds one job. Retries use the catalogue's backoff through a custom strategy
 * (the same function as the in-process runner); failed jobs are kept (never removed) and their rows
 * marked failed. `process: true` also runs the processors here (the worker); the API side only adds.
 */
export class BullDeliveryQueue implements DeliveryQueue {
  readonly kind = 'bullmq' as const;
  readonly #redis: Redis[] = [];
  readonly queue: Queue;
  readonly retryLock: RetryLock | undefined;
  #worker: Worker | undefined;
  #lastError = '';

  constructor(
    private readonly deps: ProcessorDeps,
    private readonly options: BullOptions & { process: boolean; concurrency?: number; retryLock?: RetryLock },
  ) {
    this.retryLock = options.retryLock;
    const redis = connection(options.redisUrl);
    this.#redis.push(redis);
    this.queue = new Queue(JOBS.deliver.queue, { connection: redis, prefix: options.prefix });
    // Without a listener every reconnect attempt to an unreachable Redis is printed as an unhandled
    // 'error' event; through the logger, once per distinct message.
    this.queue.on('error', (error) => this.#logError(error, 'alert delivery queue error'));
    if (options.process) this.#startWorker();
  }

  #logError(error: Error, msg: string): void {
    if (error.message === this.#lastError) return;
    this.#lastError = error.message;
    this.options.logger?.warn({ err: error }, msg);
  }

  #jobOptions(d: Delivery) {
    const route = this.deps.config.routes.get(d.routeId);
    const attempts = route?.retry.attempts ?? d.retryAttempts;
    return {
      jobId: d.deliveryId,
      // The row's count decides when a delivery is exhausted; the job's limit is a backstop above it.
      // A process that only adds jobs (a collector re-queueing a re-send) reads the route's budget from
      // the row; a row from before it was kept gets a backstop well clear of any route's budget.
      attempts: attempts ? attempts + 1 : 1_000,
      backoff: { type: 'catalogue' },
      delay: Math.max(0, new Date(d.notBefore).getTime() - Date.now()),
      removeOnComplete: JOBS.deliver.keepCompleted,
      removeOnFail: JOBS.deliver.keepFailed,
    };
  }

  async enqueue(deliveries: readonly Delivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    const data = (d: Delivery): JobData<'deliver'> => ({
      deliveryId: d.deliveryId,
      // The route's backoff, from the routes loaded here or else from the row (which carries it), so a
      // job re-added by a collector or a command backs off as the route says.
      backoffMs:
        this.deps.config.routes.get(d.routeId)?.retry.backoffMs ?? d.backoffMs ?? JOBS.deliver.backoffMs,
    });
    await this.queue.addBulk(
      deliveries.map((d) => ({ name: JOBS.deliver.name, data: data(d), opts: this.#jobOptions(d) })),
    );
  }

  /**
   * Re-queues deliveries that ran before, under the same job id (= delivery id), so the receiver sees
   * the same `X-Shewhart-Delivery`: the job BullMQ kept as failed (or completed) is retried with its
   * attempt counter reset — the row's own count (`attempts`, `roundStart`) is the record, and the job's
   * limit only a backstop above the route's budget; one Redis no longer holds is added anew; one that is
   * waiting, delayed or running is left alone. Idempotent, so asking twice is harmless.
   *
   * A running job of a re-sent row is usually its last attempt finishing (the row is written failed
   * before the job moves to failed): waited for briefly; if it still runs, the next `resume()` (every
   * evaluation tick of the delivering processes) finds it finished and retries it.
   */
  async requeue(deliveries: readonly Delivery[]): Promise<void> {
    await this.#requeue(deliveries, 2_000);
  }

  async #requeue(deliveries: readonly Delivery[], waitActiveMs: number): Promise<void> {
    const missing: Delivery[] = [];
    for (const d of deliveries) {
      const job = await this.queue.getJob(d.deliveryId);
      let state = job ? await job.getState() : 'unknown';
      for (let waited = 0; job && state === 'active' && waited < waitActiveMs; waited += 50) {
        await new Promise((r) => setTimeout(r, 50));
        state = await job.getState();
      }
      // Gone (never added, removed, or removed between the two reads): added anew.
      if (!job || state === 'unknown') {
        missing.push(d);
        continue;
      }
      if (state !== 'failed' && state !== 'completed') continue;
      try {
        await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      } catch (error) {
        // Another process re-queued it first (it is no longer finished): that one runs.
        const now = await job.getState();
        if (now === 'failed' || now === 'completed') throw error;
      }
    }
    await this.enqueue(missing);
  }

  /**
   * Queues every pending row (a crash between storing a row and adding its job, or between a re-send
   * marking a row pending and re-queueing its job): `requeue` adds the missing jobs and retries the
   * finished ones, so a pending row always ends up with a job that will run.
   */
  async resume(): Promise<number> {
    const pending = await listDeliveries(this.deps.client, { state: 'pending', withBody: false });
    // An active job belongs to an attempt in flight: it runs, nothing to wait for (a later resume
    // retries it if it ends finished while its row is pending).
    await this.#requeue(pending, 0);
    return pending.length;
  }

  #startWorker(): void {
    const redis = connection(this.options.redisUrl);
    this.#redis.push(redis);
    const worker = new Worker(
      JOBS.deliver.queue,
      async (job: Job, token?: string) => {
        const { deliveryId } = JOBS.deliver.schema.parse(job.data);
        const r = await attemptDelivery(this.deps, deliveryId);
        if (r.outcome === 'held') {
          await job.moveToDelayed(r.until.getTime(), token);
          throw new DelayedError();
        }
        if (r.outcome === 'retry') throw new Error(r.error);
        if (r.outcome === 'failed') throw new UnrecoverableError(r.delivery?.lastError ?? 'delivery failed');
        return r.outcome;
      },
      {
        connection: redis,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency ?? 8,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) => {
            const base =
              (job?.data as { backoffMs?: number } | undefined)?.backoffMs ?? JOBS.deliver.backoffMs;
            return backoffDelay(attemptsMade, base, JOBS.deliver.jitter);
          },
        },
      },
    );
    worker.on('failed', (job, error) => {
      if (!job || error instanceof DelayedError) return;
      const exhausted = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
      if (!exhausted) return;
      this.options.logger?.error({ deliveryId: job.id, error: error.message }, 'alert delivery failed');
      // The processor recorded that failure itself (and a re-send may already have made the row pending
      // again: marking it failed now would undo that).
      if (error instanceof UnrecoverableError) return;
      // The backstop: a job BullMQ gave up on while its row still says pending is marked failed.
      void this.#markFailed(job.data.deliveryId as string, error.message).catch((e: unknown) =>
        this.options.logger?.warn({ err: e }, 'could not mark a failed delivery'),
      );
    });
    worker.on('error', (error) => this.#logError(error, 'alert delivery worker error'));
    this.#worker = worker;
  }

  async #markFailed(deliveryId: string, error: string): Promise<void> {
    const d = await getDelivery(this.deps.client, deliveryId);
    if (d?.state === 'pending')
      await writeDeliveries(this.deps.client, [
        { ...d, state: 'failed', lastError: error, updatedAt: new Date().toISOString() },
      ]);
  }

  /** Failed jobs BullMQ keeps (the Redis side of `alerts deliveries --failed`). */
  async failedJobs(): Promise<{ id: string; reason: string; attemptsMade: number }[]> {
    const jobs = await this.queue.getFailed(0, 999);
    return jobs.map((j) => ({ id: j.id ?? '', reason: j.failedReason, attemptsMade: j.attemptsMade }));
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.queue.close();
    for (const r of this.#redis) r.disconnect();
    await this.retryLock?.close();
  }
}

/** Removes every queue of the catalogue under `prefix` (tests and benchmarks clean up with it). */
export async function obliterateQueues(redisUrl: string, prefix: string): Promise<void> {
  const redis = connection(redisUrl);
  try {
    for (const spec of Object.values(JOBS)) {
      const queue = new Queue(spec.queue, { connection: redis, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
  } finally {
    redis.disconnect();
  }
}
