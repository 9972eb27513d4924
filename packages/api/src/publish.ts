import { type Bus, BusUnavailableError, TOPICS } from '@shewhart/bus';
import type { ShewhartEvent } from '@shewhart/events';
import { StorageUnavailableError } from '@shewhart/warehouse';
import { ApiError } from './errors.js';
import type { collectorMetrics } from './metrics.js';

const EMPTY = Buffer.alloc(0);

/**
 * Publishes validated events on the events topic and resolves once they are durably stored (embedded)
 * or acknowledged by every in-sync Kafka replica (scaled): the one path from every ingest route
 * (`/v1/events`, the webhooks) to the store. An unavailable transport or store is `unavailable` (503
 * with Retry-After): nothing was acknowledged, and the same events are stored once when retried.
 */
export async function publishEvents(
  bus: Bus,
  events: readonly ShewhartEvent[],
  metrics: ReturnType<typeof collectorMetrics>,
): Promise<{ accepted: number; duplicates: number }> {
  metrics.batchSize.observe(events.length);
  if (events.length === 0) return { accepted: 0, duplicates: 0 };
  const stop = metrics.ackLatency.startTimer();
  try {
    const inProcess = bus.kind === 'memory';
    const receipt = await bus.publish(
      TOPICS.events,
      events.map((e) =>
        inProcess
          ? { key: e.team, value: EMPTY, payload: e }
          : { key: e.team, value: Buffer.from(JSON.stringify(e)) },
      ),
    );
    stop();
    const duplicates = receipt.outcome?.duplicates ?? 0;
    metrics.events.inc({ outcome: 'accepted' }, events.length - duplicates);
    if (duplicates > 0) metrics.events.inc({ outcome: 'duplicate' }, duplicates);
    return { accepted: events.length, duplicates };
  } catch (error) {
    if (error instanceof BusUnavailableError || error instanceof StorageUnavailableError) {
      const retryAfter = error instanceof BusUnavailableError ? error.retryAfterSeconds : 5;
      throw new ApiError(
        'unavailable',
        'storage is unavailable; nothing was acknowledged, retry later (the same events are stored once)',
        undefined,
        retryAfter,
      );
    }
    throw error;
  }
}
