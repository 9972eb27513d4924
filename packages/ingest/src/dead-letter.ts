import type { Bus, IncomingMessage } from '@shewhart/bus';
import type { DeadLetterSink } from './events.consumer.js';

/** Headers of a dead letter; `docs/scaled.md` shows how to read and replay them. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-shewhart-reason',
  topic: 'x-shewhart-original-topic',
  partition: 'x-shewhart-original-partition',
  offset: 'x-shewhart-original-offset',
  attempt: 'x-shewhart-attempt',
} as const;

/** Kafka headers are not meant for essays; the full error is in the worker's log line. */
const MAX_REASON = 1_000;

/**
 * Publishes a message that can never be stored to the dead-letter topic: the original bytes, key and
 * headers, plus where it came from and why. Resolves only once the broker acknowledged it, so the
 * original offset is committed only after its dead letter is durable.
 */
export function deadLetterPublisher(
  bus: Bus,
  topic: string,
  log?: { warn(obj: object, msg?: string): void },
): DeadLetterSink {
  return async (message: IncomingMessage, reason: string, attempt: number) => {
    const shortReason = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
    log?.warn(
      { topic: message.topic, partition: message.partition, offset: message.offset, attempt, reason },
      'message dead-lettered',
    );
    await bus.publish(topic, [
      {
        key: message.key ?? '',
        value: message.value,
        headers: {
          ...message.headers,
          [DEAD_LETTER_HEADERS.reason]: shortReason,
          [DEAD_LETTER_HEADERS.topic]: message.topic,
          [DEAD_LETTER_HEADERS.partition]: String(message.partition),
          [DEAD_LETTER_HEADERS.offset]: message.offset,
          [DEAD_LETTER_HEADERS.attempt]: String(attempt),
        },
      },
    ]);
  };
}
