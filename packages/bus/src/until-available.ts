import { BusUnavailableError } from './port.js';
import { LockUnavailableError } from './redis-lock.js';

/**
 * Retries `operation` with capped backoff while Kafka or the shared Redis lock is unavailable (a service
 * may start before the broker or Redis, or while another process holds the lock for a long rebuild);
 * gives up only when `signal` aborts. Other errors (a bad topic config) fail at once.
 */
export async function untilAvailable<T>(
  operation: () => Promise<T>,
  logger: { warn(obj: object, msg?: string): void },
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const kafka = error instanceof BusUnavailableError;
      if (!(kafka || error instanceof LockUnavailableError) || signal?.aborted) throw error;
      const delay = Math.min(5_000, 250 * 2 ** attempt);
      logger.warn(
        { err: error.message, retryInMs: delay },
        kafka ? 'Kafka unavailable, retrying' : 'shared lock unavailable, retrying',
      );
      await new Promise((r) => setTimeout(r, delay));
      if (signal?.aborted) throw error;
    }
  }
}
