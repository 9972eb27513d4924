import type { BatchHandler, BatchOutcome, IncomingMessage } from '@shewhart/bus';
import { type ShewhartEvent, validateEvent } from '@shewhart/events';
import type { EventStore } from '@shewhart/warehouse';

/** Where a message that can never be stored goes, with the reason (the Kafka dead-letter topic). */
export type DeadLetterSink = (message: IncomingMessage, reason: string) => Promise<void>;

export interface EventsConsumerOptions {
  store: EventStore;
  /** Absent in the embedded default, where only the validating collector publishes. */
  deadLetter?: DeadLetterSink;
  /**
   * Skip re-validation of messages. Only for the in-process bus, whose sole producer is the collector
   * that validated the batch a moment before; messages from a broker are always validated.
   */
  trusted?: boolean;
  onOutcome?: (outcome: BatchOutcome) => void;
}

/**
 * The worker's batch handler: decode → validate → store. Every message ends in exactly one outcome:
 * stored, duplicate, or rejected (dead-lettered). It resolves only after the store committed, so the bus
 * acknowledges (commits offsets) only what is durably stored; a storage failure rejects the whole batch
 * and the bus redelivers it.
 */
export function createEventsHandler(options: EventsConsumerOptions): BatchHandler {
  return async (batch) => {
    const events: ShewhartEvent[] = [];
    let rejected = 0;
    for (const message of batch.messages) {
      const decoded = decode(message, options.trusted === true);
      if ('event' in decoded) {
        events.push(decoded.event);
        continue;
      }
      if (!options.deadLetter)
        throw new Error(`invalid message at offset ${message.offset}: ${decoded.reason}`);
      await options.deadLetter(message, decoded.reason);
      rejected++;
    }
    const stored = await options.store.write(events);
    const outcome = { ...stored, rejected };
    options.onOutcome?.(outcome);
    return outcome;
  };
}

function decode(message: IncomingMessage, trusted: boolean): { event: ShewhartEvent } | { reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    return { reason: `not JSON: ${(error as Error).message}` };
  }
  if (trusted) return { event: parsed as ShewhartEvent };
  const { event, errors } = validateEvent(parsed);
  if (event) return { event };
  return { reason: errors.map((e) => `${e.path.join('.') || '(event)'}: ${e.message}`).join('; ') };
}
