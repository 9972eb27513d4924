/**
 * Helpers for `*.kafka.int.test.ts` files: the broker address the global setup provided, and unique
 * topic and group names so that test files running in parallel (and reruns against a long-lived
 * broker) never see each other's messages or offsets.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export function kafkaBrokers(): string[] {
  const brokers = inject('kafkaBrokers');
  if (!brokers) {
    throw new Error(
      'No Kafka broker was provided: name the file *.kafka.int.test.ts (test/setup/kafka.global-setup.ts ' +
        'starts the broker only for those) or set KAFKA_BROKERS.',
    );
  }
  return brokers.split(',').map((b) => b.trim());
}

/** `<prefix>.<pid>.<time>.<random>`: legal as a topic and group name (letters, digits, . _ -). */
export function uniqueName(prefix: string): string {
  return `${prefix}.${process.pid}.${Date.now().toString(36)}.${randomBytes(3).toString('hex')}`;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
