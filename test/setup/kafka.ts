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

/** One poll-until helper for the whole suite (test/support/wait.ts). */
export { eventually } from '../support/wait.js';
