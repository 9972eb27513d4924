import { backoffDelay, JOBS } from './catalogue.js';
import { type AttemptOutcome, attemptDelivery, type ProcessorDeps } from './deliver.processor.js';
import { type Delivery, roundAttempts } from './model.js';
import { listDeliveries } from './store.js';

export interface QueueLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A mutex re-sends take turns under across processes (RedisLock's shape). */
export interface RetryLock {
  run<T>(work: (held: () => void) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Where new deliveries go once their rows are stored: BullMQ or the in-process runner. */
export interface DeliveryQueue {
  readonly kind: 'inline' | 'bullmq';
  /**
   * The lock re-sends of these deliveries take turns under across processes (processes sharing a
   * ClickHouse server); closed with the queue. Absent: one process (an embedded directory).
   */
  readonly retryLock?: RetryLock;
  enqueue(deliveries: readonly Delivery[]): Promise<void>;
  /**
   * Hands deliveries that ran before (re-sent after they failed, or pending rows) to the queue again,
   * under the same delivery id. Idempotent: BullMQ leaves a job waiting, delayed or running alone,
   * retries the one it kept finished, and adds one Redis lost.
   */
  requeue(deliveries: readonly Delivery[]): Promise<void>;
  /** Resumes what is pending in ClickHouse (a restart, or rows whose enqueue a crash interrupted). */
  resume(): Promise<number>;
  /** Waits until nothing is in flight or scheduled sooner than `withinMs` (tests, shutdown). */
  close(): Promise<void>;
}

/**
 * The embedded default's runner: the shared processor on timers in this process, with the catalogue's
 * retry policy. Nothing lives only in memory — each delivery's row is written before its first attempt
 * and after each one, so `resume()` at start picks up exactly what a stop or a crash left pending, with
 * the backoff its attempt count calls for.
 */
export class InlineDeliveryQueue implements DeliveryQueue {
  readonly kind = 'inline' as const;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #running = new Map<string, Promise<void>>();
  /** Asked for while an attempt of theirs was running (a re-send as its last attempt finishes). */
  readonly #again = new Set<string>();
  #closed = false;
  readonly retryLock: RetryLock | undefined;

  constructor(
    private readonly deps: ProcessorDeps & {
      logger?: QueueLogger;
      concurrency?: number;
      retryLock?: RetryLock;
    },
  ) {
    this.retryLock = deps.retryLock;
  }

  async enqueue(deliveries: readonly Delivery[]): Promise<void> {
    for (const d of deliveries) this.#schedule(d.deliveryId, new Date(d.notBefore).getTime() - Date.now());
  }

  /** Nothing of a finished delivery stays in this process: a re-send is scheduled like a new one. */
  requeue(deliveries: readonly Delivery[]): Promise<void> {
    return this.enqueue(deliveries);
  }

  async resume(): Promise<number> {
    const pending = await listDeliveries(this.deps.client, { state: 'pending', withBody: false });
    for (const d of pending) {
      const route = this.deps.config.routes.get(d.routeId);
      const base = route?.retry.backoffMs ?? d.backoffMs ?? JOBS.deliver.backoffMs;
      const round = roundAttempts(d);
      const retryAt =
        round > 0 ? new Date(d.updatedAt).getTime() + backoffDelay(round, base, JOBS.deliver.jitter) : 0;
      this.#schedule(d.deliveryId, Math.max(new Date(d.notBefore).getTime(), retryAt) - Date.now());
    }
    return pending.length;
  }

  #schedule(id: string, delayMs: number): void {
    if (this.#closed || this.#timers.has(id)) return;
    // Its attempt is running: once it ends, the delivery is looked at again (the attempt may have found
    // the row failed just before a re-send made it pending; that re-send must not wait for a restart).
    if (this.#running.has(id)) {
      this.#again.add(id);
      return;
    }
    const timer = setTimeout(
      () => {
        this.#timers.delete(id);
        this.#run(id);
      },
      Math.max(0, delayMs),
    );
    this.#timers.set(id, timer);
  }

  #run(id: string): void {
    if (this.#closed) return;
    const limit = this.deps.concurrency ?? 8;
    if (this.#running.size >= limit) {
      this.#schedule(id, 50);
      return;
    }
    const work = attemptDelivery(this.deps, id)
      .then((r: AttemptOutcome) => {
        this.#running.delete(id);
        const again = this.#again.delete(id);
        if (r.outcome === 'retry') {
          this.#schedule(id, backoffDelay(r.attempts, r.backoffMs, JOBS.deliver.jitter));
        } else if (r.outcome === 'held') {
          this.#schedule(id, r.until.getTime() - Date.now());
        } else {
          if (r.outcome === 'failed')
            this.deps.logger?.error(
              { deliveryId: id, error: r.delivery?.lastError },
              'alert delivery failed',
            );
          // Asked for again meanwhile: the processor reads the row and attempts only if it is pending.
          if (again) this.#schedule(id, 0);
        }
      })
      .catch((error: unknown) => {
        // The attempt could not even be recorded (storage unavailable): try again later; the row is
        // still pending, so a restart would resume it as well.
        this.#running.delete(id);
        this.#again.delete(id);
        this.deps.logger?.warn(
          { deliveryId: id, err: error },
          'alert delivery attempt not recorded; retrying',
        );
        this.#schedule(id, backoffDelay(1, 5_000, JOBS.deliver.jitter));
      });
    this.#running.set(id, work);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    await Promise.allSettled([...this.#running.values()]);
    await this.retryLock?.close();
  }
}
