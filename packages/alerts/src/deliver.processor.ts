import type { ClickHouseClient } from '@clickhouse/client';
import type { AlertsConfig } from './config.js';
import { type Delivery, roundAttempts } from './model.js';
import { quietUntil } from './quiet-hours.js';
import { sendDelivery } from './send.js';
import { getDelivery, isAcknowledged, writeDeliveries } from './store.js';

export interface ProcessorDeps {
  client: ClickHouseClient;
  config: AlertsConfig;
  now?: () => Date;
  timeoutMs?: number;
}

export type AttemptOutcome =
  | { outcome: 'delivered' | 'skipped' | 'cancelled' | 'failed'; delivery?: Delivery }
  | { outcome: 'held'; until: Date }
  /** `attempts`: those of the current round (the backoff counts them). */
  | { outcome: 'retry'; error: string; attempts: number; backoffMs: number };

/**
 * One attempt of one delivery — the processor both runners share (BullMQ in the scaled deployment, the
 * in-process runner in the embedded default). The delivery row in ClickHouse is the record: every
 * attempt ends by writing what happened (attempt count, last error, state), so `alerts deliveries` shows
 * the same thing whichever runner sent it.
 *
 * Idempotent: a delivery already delivered, cancelled or failed is skipped, so a job that runs again
 * after a crash (at-least-once) sends nothing twice once its success was recorded. A firing message not
 * yet sent when its alert was acknowledged is cancelled: someone has already seen the alert.
 */
export async function attemptDelivery(deps: ProcessorDeps, deliveryId: string): Promise<AttemptOutcome> {
  const now = deps.now ?? (() => new Date());
  const d = await getDelivery(deps.client, deliveryId);
  if (!d) return { outcome: 'skipped' };
  if (d.state !== 'pending') return { outcome: 'skipped', delivery: d };
  const update = (patch: Partial<Delivery>) => {
    const next = { ...d, ...patch, updatedAt: now().toISOString() };
    return writeDeliveries(deps.client, [next]).then(() => next);
  };
  if (d.transition === 'firing' && (await isAcknowledged(deps.client, d.alertId))) {
    return {
      outcome: 'cancelled',
      delivery: await update({ state: 'cancelled', lastError: 'acknowledged before delivery' }),
    };
  }
  const route = deps.config.routes.get(d.routeId);
  if (!route) {
    return {
      outcome: 'failed',
      delivery: await update({ state: 'failed', lastError: `route ${d.routeId} is no longer configured` }),
    };
  }
  const held = quietUntil(route.quietHours, now());
  if (held) {
    await update({ notBefore: held.toISOString() });
    return { outcome: 'held', until: held };
  }
  const result = await sendDelivery(route, d, deps.timeoutMs);
  const attempts = d.attempts + 1;
  // The route's budget counts the attempts of this round: a re-sent delivery starts a new one.
  const round = roundAttempts({ ...d, attempts });
  if (result.ok) {
    return {
      outcome: 'delivered',
      delivery: await update({ state: 'delivered', attempts, lastStatus: result.status, lastError: '' }),
    };
  }
  if (!result.retryable || round >= route.retry.attempts) {
    const total = round === attempts ? '' : `; ${attempts} in all`;
    const why = result.retryable ? `${result.error} (after ${round} attempts${total})` : result.error;
    return {
      outcome: 'failed',
      delivery: await update({ state: 'failed', attempts, lastStatus: result.status, lastError: why }),
    };
  }
  await update({ attempts, lastStatus: result.status, lastError: result.error });
  return { outcome: 'retry', error: result.error, attempts: round, backoffMs: route.retry.backoffMs };
}
