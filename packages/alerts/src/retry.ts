import type { ClickHouseClient } from '@clickhouse/client';
import type { DeliveryQueue } from './inline.queue.js';
import type { Delivery } from './model.js';
import { listDeliveries, writeDeliveries, writeDeliveryRetries } from './store.js';

/** No delivery has this id (the HTTP error map answers 404). */
export class UnknownDeliveryError extends Error {
  override readonly name = 'UnknownDeliveryError';
  readonly kind = 'not_found' as const;
}

/** Only a delivery that exhausted its attempts is re-sent (the HTTP error map answers 409). */
export class DeliveryNotFailedError extends Error {
  override readonly name = 'DeliveryNotFailedError';
  readonly kind = 'conflict' as const;
}

export interface RetryResult {
  /** The re-sent deliveries, now pending (without their bodies). */
  retried: Delivery[];
  /** Where they were handed: this process's runner, BullMQ, or none (resumed by the next start). */
  queue: DeliveryQueue['kind'] | null;
}

const NOT_FAILED: Record<Exclude<Delivery['state'], 'failed'>, string> = {
  pending: 'is still pending (attempts or quiet hours ahead): it will be sent without a re-send',
  delivered: 'was delivered: the receiver has it',
  cancelled: 'was cancelled (its alert was acknowledged before it was sent)',
};

/**
 * Re-sends deliveries that exhausted their attempts, once their receiver is fixed. Each keeps its id,
 * its body and so its signature (the receiver drops a repeat by `X-Shewhart-Delivery`, at-least-once as
 * ever) and starts a new round of the route's attempts; `attempts` keeps counting every attempt, and the
 * failure being answered is kept in `alert_delivery_retries` with who asked.
 *
 * The row turns pending in ClickHouse before the queue hears of it, so a crash in between loses nothing:
 * every runner resumes pending rows when it starts (BullMQ retries the failed job it kept). `ids` are
 * all checked first — an unknown id or one not failed changes nothing at all.
 */
export async function retryDeliveries(
  deps: { client: ClickHouseClient; queue?: DeliveryQueue; now?: () => Date },
  target: { ids: readonly string[] } | { allFailed: true },
  by: string,
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
    const notFailed = rows.filter((d) => d.state !== 'failed');
    if (notFailed.length > 0)
      throw new DeliveryNotFailedError(
        `${notFailed
          .map((d) => `delivery ${d.deliveryId} ${NOT_FAILED[d.state as keyof typeof NOT_FAILED]}`)
          .join('; ')}; only a failed delivery is re-sent`,
      );
  } else {
    rows = await listDeliveries(client, { state: 'failed', withBody: true });
  }
  const at = (deps.now?.() ?? new Date()).toISOString();
  // The failure as it stood, before the row's new round overwrites nothing but its state.
  await writeDeliveryRetries(
    client,
    rows.map((d) => ({
      deliveryId: d.deliveryId,
      at,
      by,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
    })),
  );
  const pending = rows.map(
    (d): Delivery => ({
      ...d,
      state: 'pending',
      roundStart: d.attempts,
      retries: (d.retries ?? 0) + 1,
      notBefore: at,
      updatedAt: at,
    }),
  );
  await writeDeliveries(client, pending);
  if (deps.queue) await deps.queue.requeue(pending);
  return { retried: pending.map((d) => ({ ...d, body: '' })), queue: deps.queue?.kind ?? null };
}
