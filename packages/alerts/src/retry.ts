import type { ClickHouseClient } from '@clickhouse/client';
import type { DeliveryQueue, RetryLock } from './inline.queue.js';
import type { Delivery } from './model.js';
import { listDeliveries, listDeliveryRetries, writeDeliveries, writeDeliveryRetries } from './store.js';

/** No delivery has this id (the HTTP error map answers 404). */
export class UnknownDeliveryError extends Error {
  override readonly name = 'UnknownDeliveryError';
  readonly kind = 'not_found' as const;
}

/** A delivered or cancelled delivery is final: it is not re-sent (the HTTP error map answers 409). */
export class DeliveryNotFailedError extends Error {
  override readonly name = 'DeliveryNotFailedError';
  readonly kind = 'conflict' as const;
}

/**
 * The queue (Redis) could not take the re-send: the rows are pending, and the processes that deliver
 * alerts resume pending rows at each evaluation tick; asking again re-queues them at once. The HTTP
 * error map answers 503 with Retry-After.
 */
export class DeliveryQueueUnavailableError extends Error {
  override readonly name = 'DeliveryQueueUnavailableError';
  readonly kind = 'unavailable' as const;
  readonly retryAfterSeconds = 5;
}

export interface RetryResult {
  /** The re-sent deliveries, now pending (without their bodies). */
  retried: Delivery[];
  /** Where they were handed: this process's runner, BullMQ, or none (resumed by the next start). */
  queue: DeliveryQueue['kind'] | null;
}

const FINAL: Record<'delivered' | 'cancelled', string> = {
  delivered: 'was delivered: the receiver has it',
  cancelled: 'was cancelled (its alert was acknowledged before it was sent)',
};

/** How long the queue may take to accept a re-send before the request gives up (503). */
const REQUEUE_TIMEOUT_MS = 10_000;

/**
 * One re-send at a time in this process (per warehouse client): the read, the check and the writes
 * of one never interleave with another's. Across processes sharing a ClickHouse server, `lock` (the
 * queue's Redis lock) serializes them as well.
 */
const turns = new WeakMap<ClickHouseClient, Promise<unknown>>();
function inTurn<T>(client: ClickHouseClient, work: () => Promise<T>): Promise<T> {
  const before = turns.get(client) ?? Promise.resolve();
  const mine = before.then(work, work);
  turns.set(
    client,
    mine.catch(() => undefined),
  );
  return mine;
}

/**
 * Re-sends deliveries that exhausted their attempts, once their receiver is fixed. Each keeps its id,
 * its body and so its signature (the receiver drops a repeat by `X-Shewhart-Delivery`, at-least-once as
 * ever) and starts a new round of the route's attempts; `attempts` keeps counting every attempt, and the
 * failure being answered is kept in `alert_delivery_resends` with who asked (one row per re-send).
 *
 * Re-sends of the same delivery take turns (in process, and under `lock` across processes), and each
 * re-reads the rows inside its turn: of two clicks, the second finds the row pending and only re-queues
 * it. A pending row (a re-send whose hand-off failed, or one still in its attempts) is re-queued, which
 * is idempotent — a job waiting, delayed or running is left alone, a finished one retried, a missing one
 * added. Delivered and cancelled rows are final (409).
 *
 * The row turns pending in ClickHouse before its history row and before the queue hears of it, so a
 * failure in between loses nothing: the delivering processes resume pending rows at every evaluation
 * tick. `ids` are all checked first — an unknown id or a final one changes nothing at all.
 */
export async function retryDeliveries(
  deps: { client: ClickHouseClient; queue?: DeliveryQueue; lock?: RetryLock; now?: () => Date },
  target: { ids: readonly string[] } | { allFailed: true },
  by: string,
): Promise<RetryResult> {
  const lock = deps.lock ?? deps.queue?.retryLock;
  return inTurn(deps.client, () =>
    lock ? lock.run((held) => resend(deps, target, by, held)) : resend(deps, target, by, () => {}),
  );
}

async function resend(
  deps: { client: ClickHouseClient; queue?: DeliveryQueue; now?: () => Date },
  target: { ids: readonly string[] } | { allFailed: true },
  by: string,
  held: () => void,
): Promise<RetryResult> {
  const { client } = deps;
  let rows: Delivery[];
  if ('ids' in target) {
    const ids = [...new Set(target.ids)];
    rows = await listDeliveries(client, { ids, withBody: true });
    const found = new Map(rows.map((d) => [d.deliveryId, d]));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0)
      throw new UnknownDeliveryError(
        `no delivery ${unknown.join(', ')} (shewhart alerts deliveries, GET /v1/alerts/deliveries list them)`,
      );
    const final = rows.filter((d) => d.state === 'delivered' || d.state === 'cancelled');
    if (final.length > 0)
      throw new DeliveryNotFailedError(
        `${final
          .map((d) => `delivery ${d.deliveryId} ${FINAL[d.state as keyof typeof FINAL]}`)
          .join('; ')}; only a failed (or pending) delivery is re-sent`,
      );
  } else {
    rows = await listDeliveries(client, { state: 'failed', withBody: true });
  }
  const at = (deps.now?.() ?? new Date()).toISOString();
  const failed = rows.filter((d) => d.state === 'failed');
  const pending = failed.map(
    (d): Delivery => ({
      ...d,
      state: 'pending',
      roundStart: d.attempts,
      retries: (d.retries ?? 0) + 1,
      notBefore: at,
      updatedAt: at,
    }),
  );
  // The row first: a history row is never written for a re-send that did not happen.
  held();
  await writeDeliveries(client, pending);
  // The failure as it stood; keyed by (delivery, re-send number), so writing it again replaces it.
  const history = failed.map((d) => ({
    deliveryId: d.deliveryId,
    retry: (d.retries ?? 0) + 1,
    at,
    by,
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
  }));
  // A pending row left by a re-send whose history write failed gets its history row now.
  for (const d of rows)
    if (d.state === 'pending' && (d.retries ?? 0) > 0) {
      const kept = await listDeliveryRetries(client, d.deliveryId);
      if (!kept.some((h) => h.retry === d.retries))
        history.push({
          deliveryId: d.deliveryId,
          retry: d.retries ?? 0,
          at,
          by,
          attempts: d.attempts,
          lastStatus: d.lastStatus,
          lastError: d.lastError,
        });
    }
  held();
  await writeDeliveryRetries(client, history);
  const handed = [...pending, ...rows.filter((d) => d.state === 'pending')];
  if (deps.queue && handed.length > 0) await handOver(deps.queue, handed);
  return { retried: handed.map((d) => ({ ...d, body: '' })), queue: deps.queue?.kind ?? null };
}

async function handOver(queue: DeliveryQueue, deliveries: readonly Delivery[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${REQUEUE_TIMEOUT_MS} ms`)),
      REQUEUE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([queue.requeue(deliveries), late]);
  } catch (error) {
    throw new DeliveryQueueUnavailableError(
      `the delivery queue (${queue.kind}) did not take the re-send (${(error as Error).message}): ` +
        `${deliveries.map((d) => d.deliveryId).join(', ')} pending; the processes that deliver alerts ` +
        'resume them at their next evaluation tick, or ask again to re-queue them now',
    );
  } finally {
    clearTimeout(timer);
  }
}
