import type { ClickHouseClient } from '@clickhouse/client';
import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BullDeliveryQueue } from './bullmq.queue.js';
import { JOBS } from './catalogue.js';
import type { AlertsConfig } from './config.js';
import { type EvaluationResult, evaluateAlerts } from './evaluate.js';
import { type DeliveryQueue, InlineDeliveryQueue, type QueueLogger, type RetryLock } from './inline.queue.js';

export interface AlertingOptions {
  client: ClickHouseClient;
  states: EntityStates;
  config: AlertsConfig;
  objectives?: ObjectiveService;
  publicUrl?: string;
  logger?: QueueLogger;
  /** How often the schedule evaluates every rule. */
  evaluateEveryMs: number;
  /**
   * `inline`: the embedded default, no Redis — processors and schedule in this process. `bullmq`: jobs
   * in Redis; `process` runs the processors and the scheduled evaluation here (the worker).
   */
  queue: { kind: 'inline' } | { kind: 'bullmq'; redisUrl: string; prefix: string; process: boolean };
  /**
   * Scaled deployment: refresh baselines and signals before each requested or scheduled evaluation (no
   * background refresher runs beside it). The embedded default leaves it unset: its refresher calls
   * `afterRefresh()` itself.
   */
  refresh?: () => Promise<unknown>;
  /** Delivery attempt timeout (ms). */
  timeoutMs?: number;
  /**
   * Scaled deployment: the lock (a RedisLock) every process evaluating these alerts takes around an
   * evaluation, so no two interleave their reads and writes of one episode. Closed with the alerting.
   */
  lock?: EvaluationLock;
  /**
   * The lock re-sends of deliveries take turns under across processes (a RedisLock), handed to the
   * delivery queue and closed with it.
   */
  retryLock?: RetryLock;
  /**
   * How often pending deliveries are resumed (a re-send whose hand-off to the queue failed, a job that
   * ended while its row was pending): default `evaluateEveryMs`. Only where deliveries run.
   */
  resumeEveryMs?: number;
}

/**
 * A cross-process mutex (RedisLock's shape): `run` waits for it, `held` throws once it is lost, and an
 * aborted `signal` ends the wait without running `work` (rejecting).
 */
export interface EvaluationLock {
  run<T>(work: (held: () => void) => Promise<T>, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

/**
 * Alerting in a runtime: evaluation (on a schedule and after each baseline refresh) and delivery. One
 * evaluation at a time in a process, and across processes under `lock`; in the scaled deployment the schedule is a BullMQ job scheduler
 * (reconciled at boot: `upsertJobScheduler` replaces whatever an earlier release registered) on a queue
 * whose jobs are deduplicated, so the processes sharing Redis evaluate one at a time.
 */
export class Alerting {
  readonly deliveries: DeliveryQueue;
  #running: Promise<EvaluationResult | undefined> = Promise.resolve(undefined);
  #timer: NodeJS.Timeout | undefined;
  #resumeTimer: NodeJS.Timeout | undefined;
  #resuming: Promise<void> | undefined;
  /** Aborted by close(): an evaluation still waiting for the lock stops waiting. */
  readonly #closing = new AbortController();
  #evalQueue: Queue | undefined;
  #evalWorker: Worker | undefined;
  #redis: Redis[] = [];
  #closed = false;
  /** The server's public URL for chart links (the runtime sets its own address when none is configured). */
  publicUrl: string | undefined;

  private constructor(private readonly options: AlertingOptions) {
    this.publicUrl = options.publicUrl;
    const deps = { client: options.client, config: options.config, timeoutMs: options.timeoutMs };
    const retryLock = options.retryLock ? { retryLock: options.retryLock } : {};
    this.deliveries =
      options.queue.kind === 'inline'
        ? new InlineDeliveryQueue({ ...deps, logger: options.logger, ...retryLock })
        : new BullDeliveryQueue(deps, { ...options.queue, logger: options.logger, ...retryLock });
  }

  static async start(options: AlertingOptions): Promise<Alerting> {
    const a = new Alerting(options);
    try {
      const resumed = await a.deliveries.resume();
      if (resumed > 0) options.logger?.info({ resumed }, 'pending alert deliveries resumed');
      await a.#startSchedule();
      a.#startResume();
      return a;
    } catch (error) {
      await a.close();
      throw error;
    }
  }

  async #startSchedule(): Promise<void> {
    const q = this.options.queue;
    if (q.kind === 'inline') {
      this.#timer = setInterval(
        () => void this.requestEvaluation('schedule').catch(() => undefined),
        this.options.evaluateEveryMs,
      );
      this.#timer.unref();
      return;
    }
    const redis = new Redis(q.redisUrl, { maxRetriesPerRequest: null });
    this.#redis.push(redis);
    this.#evalQueue = new Queue(JOBS.evaluate.queue, { connection: redis, prefix: q.prefix });
    // Reconciled at boot: the scheduler's id is fixed, so this replaces whatever interval an earlier
    // release (or another process of this one) registered instead of adding a second schedule.
    await this.#evalQueue.upsertJobScheduler(
      'alerts-schedule',
      { every: this.options.evaluateEveryMs },
      {
        name: JOBS.evaluate.name,
        data: JOBS.evaluate.schema.parse({
          reason: 'schedule',
          refreshFirst: this.options.refresh !== undefined,
        }),
        opts: this.#evaluateJobOptions(),
      },
    );
    if (!q.process) return;
    const workerRedis = new Redis(q.redisUrl, { maxRetriesPerRequest: null });
    this.#redis.push(workerRedis);
    this.#evalWorker = new Worker(
      JOBS.evaluate.queue,
      async (job) => {
        const data = JOBS.evaluate.schema.parse(job.data);
        const r = await this.#refreshAndEvaluate(data.refreshFirst);
        return r ? { opened: r.opened, resolved: r.resolved, ms: r.ms } : undefined;
      },
      { connection: workerRedis, prefix: q.prefix, concurrency: 1 },
    );
    this.#evalWorker.on('error', (error) =>
      this.options.logger?.warn({ err: error }, 'alert evaluation worker error'),
    );
  }

  /**
   * Where deliveries run (the embedded default, the worker), pending rows are resumed on a timer, not
   * only at start: a re-send whose hand-off to the queue failed, or whose job was still finishing its
   * last attempt, is sent within a tick instead of waiting for a restart. Resuming is idempotent.
   */
  #startResume(): void {
    const q = this.options.queue;
    if (q.kind === 'bullmq' && !q.process) return;
    this.#resumeTimer = setInterval(() => {
      if (this.#closed || this.#resuming) return;
      this.#resuming = this.deliveries
        .resume()
        .then(
          () => undefined,
          (error: unknown) =>
            this.options.logger?.warn({ err: error }, 'could not resume pending alert deliveries'),
        )
        .finally(() => {
          this.#resuming = undefined;
        });
    }, this.options.resumeEveryMs ?? this.options.evaluateEveryMs);
    this.#resumeTimer.unref();
  }

  #evaluateJobOptions() {
    return {
      attempts: JOBS.evaluate.attempts,
      backoff: { type: 'exponential', delay: JOBS.evaluate.backoffMs, jitter: JOBS.evaluate.jitter },
      removeOnComplete: JOBS.evaluate.keepCompleted,
      removeOnFail: JOBS.evaluate.keepFailed,
    };
  }

  async #refreshAndEvaluate(refreshFirst: boolean): Promise<EvaluationResult | undefined> {
    if (refreshFirst && this.options.refresh && !this.#closed) await this.options.refresh();
    return this.evaluateNow();
  }

  /**
   * Asks for an evaluation (refreshing baselines and signals first when the runtime gave `refresh`):
   * in this process with the in-process runner; as a job on the evaluation queue with BullMQ, where
   * requests from every process sharing Redis collapse into at most one waiting job beside the one
   * running (deduplication keeps the last request made while one is active), so a fleet of workers
   * that all stored new events evaluates once, not once each.
   */
  async requestEvaluation(reason: 'refresh' | 'schedule' | 'manual'): Promise<void> {
    if (this.#closed) return;
    if (!this.#evalQueue) {
      await this.#refreshAndEvaluate(this.options.refresh !== undefined);
      return;
    }
    await this.#evalQueue.add(
      JOBS.evaluate.name,
      JOBS.evaluate.schema.parse({ reason, refreshFirst: this.options.refresh !== undefined }),
      { ...this.#evaluateJobOptions(), deduplication: { id: 'alerts-evaluate', keepLastIfActive: true } },
    );
  }

  /**
   * Evaluates now (after any evaluation in progress) and hands new deliveries to the queue. Resolves
   * with what happened; an evaluation that fails is logged and rejected.
   */
  evaluateNow(asOf?: Date): Promise<EvaluationResult | undefined> {
    const evaluate = async (held?: () => void) => {
      const r = await evaluateAlerts(
        {
          states: this.options.states,
          client: this.options.client,
          config: this.options.config,
          objectives: this.options.objectives,
          publicUrl: this.publicUrl,
          ...(held ? { held } : {}),
        },
        asOf,
      );
      await this.deliveries.enqueue(r.deliveries);
      return r;
    };
    const run = async () => {
      if (this.#closed) return undefined;
      // Across processes, one evaluation at a time: a second one waits for the first and then finds
      // its transitions stored (ids are derived from the data), so it adds none of its own. Waiting
      // rather than skipping: the one that waits may have been asked for after newer data arrived.
      const lock = this.options.lock;
      // A process closing while it waits for its turn stops waiting (close() aborts the wait) and
      // evaluates nothing.
      const signal = this.#closing.signal;
      let r: EvaluationResult | undefined;
      try {
        r = lock
          ? await lock.run((held) => (this.#closed ? Promise.resolve(undefined) : evaluate(held)), signal)
          : await evaluate();
      } catch (error) {
        if (signal.aborted) return undefined;
        throw error;
      }
      if (!r) return undefined;
      if (r.opened + r.resolved > 0 || r.failed.length > 0)
        this.options.logger?.info(
          {
            opened: r.opened,
            resolved: r.resolved,
            deliveries: r.deliveries.length,
            failed: r.failed,
            ms: r.ms,
          },
          'alerts evaluated',
        );
      return r;
    };
    const next = this.#running.then(run, run);
    this.#running = next.catch((error: unknown) => {
      this.options.logger?.warn({ err: error }, 'alert evaluation failed');
      return undefined;
    });
    return next;
  }

  /** After a baseline/signal refresh: evaluate (the BaselineRefresher's hook). */
  afterRefresh(): Promise<void> {
    return this.evaluateNow().then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * Stops evaluating (the running evaluation finishes and stores what it found), then stops delivery:
   * attempts in flight finish and record their outcome; anything not yet attempted stays pending in
   * ClickHouse (and in Redis with BullMQ) for the next start.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort('alerting closed');
    if (this.#timer) clearInterval(this.#timer);
    if (this.#resumeTimer) clearInterval(this.#resumeTimer);
    await this.#evalWorker?.close();
    await this.#resuming;
    await this.#running;
    await this.#evalQueue?.close();
    await this.deliveries.close();
    await this.options.lock?.close();
    for (const r of this.#redis) r.disconnect();
  }
}
