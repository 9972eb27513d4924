import type { ClickHouseClient } from '@clickhouse/client';
import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BullDeliveryQueue } from './bullmq.queue.js';
import { JOBS } from './catalogue.js';
import type { AlertsConfig } from './config.js';
import { type EvaluationResult, evaluateAlerts } from './evaluate.js';
import { type DeliveryQueue, InlineDeliveryQueue, type QueueLogger } from './inline.queue.js';

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
  /** Scaled deployment: refresh baselines and signals before each scheduled evaluation. */
  refresh?: () => Promise<unknown>;
  /** Delivery attempt timeout (ms). */
  timeoutMs?: number;
}

/**
 * Alerting in a runtime: evaluation (on a schedule and after each baseline refresh) and delivery. One
 * evaluation at a time in a process; in the scaled deployment the schedule is a BullMQ job scheduler
 * (reconciled at boot: `upsertJobScheduler` replaces whatever an earlier release registered) on a queue
 * whose jobs are deduplicated, so the processes sharing Redis evaluate one at a time.
 */
export class Alerting {
  readonly deliveries: DeliveryQueue;
  #running: Promise<EvaluationResult | undefined> = Promise.resolve(undefined);
  #timer: NodeJS.Timeout | undefined;
  #evalQueue: Queue | undefined;
  #evalWorker: Worker | undefined;
  #redis: Redis[] = [];
  #closed = false;
  /** The server's public URL for chart links (the runtime sets its own address when none is configured). */
  publicUrl: string | undefined;

  private constructor(private readonly options: AlertingOptions) {
    this.publicUrl = options.publicUrl;
    const deps = { client: options.client, config: options.config, timeoutMs: options.timeoutMs };
    this.deliveries =
      options.queue.kind === 'inline'
        ? new InlineDeliveryQueue({ ...deps, logger: options.logger })
        : new BullDeliveryQueue(deps, { ...options.queue, logger: options.logger });
  }

  static async start(options: AlertingOptions): Promise<Alerting> {
    const a = new Alerting(options);
    try {
      const resumed = await a.deliveries.resume();
      if (resumed > 0) options.logger?.info({ resumed }, 'pending alert deliveries resumed');
      await a.#startSchedule();
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
        () => void this.evaluateNow().catch(() => undefined),
        this.options.evaluateEveryMs,
      );
      this.#timer.unref();
      return;
    }
    const redis = new Redis(q.redisUrl, { maxRetriesPerRequest: null });
    this.#redis.push(redis);
    this.#evalQueue = new Queue(JOBS.evaluate.queue, { connection: redis, prefix: q.prefix });
    await this.#evalQueue.upsertJobScheduler(
      'alerts-schedule',
      { every: this.options.evaluateEveryMs },
      {
        name: JOBS.evaluate.name,
        data: JOBS.evaluate.schema.parse({
          reason: 'schedule',
          refreshFirst: this.options.refresh !== undefined,
        }),
        opts: {
          attempts: JOBS.evaluate.attempts,
          backoff: { type: 'exponential', delay: JOBS.evaluate.backoffMs, jitter: JOBS.evaluate.jitter },
          removeOnComplete: JOBS.evaluate.keepCompleted,
          removeOnFail: false,
        },
      },
    );
    if (!q.process) return;
    const workerRedis = new Redis(q.redisUrl, { maxRetriesPerRequest: null });
    this.#redis.push(workerRedis);
    this.#evalWorker = new Worker(
      JOBS.evaluate.queue,
      async (job) => {
        const data = JOBS.evaluate.schema.parse(job.data);
        if (data.refreshFirst && this.options.refresh) await this.options.refresh();
        const r = await this.evaluateNow();
        return r ? { opened: r.opened, resolved: r.resolved, ms: r.ms } : undefined;
      },
      { connection: workerRedis, prefix: q.prefix, concurrency: 1 },
    );
    this.#evalWorker.on('error', (error) =>
      this.options.logger?.warn({ err: error }, 'alert evaluation worker error'),
    );
  }

  /**
   * Evaluates now (after any evaluation in progress) and hands new deliveries to the queue. Resolves
   * with what happened; an evaluation that fails is logged and rejected.
   */
  evaluateNow(asOf?: Date): Promise<EvaluationResult | undefined> {
    const run = async () => {
      if (this.#closed) return undefined;
      const r = await evaluateAlerts(
        {
          states: this.options.states,
          client: this.options.client,
          config: this.options.config,
          objectives: this.options.objectives,
          publicUrl: this.publicUrl,
        },
        asOf,
      );
      await this.deliveries.enqueue(r.deliveries);
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

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
    await this.#evalWorker?.close();
    await this.#evalQueue?.close();
    await this.deliveries.close();
    for (const r of this.#redis) r.disconnect();
  }
}
