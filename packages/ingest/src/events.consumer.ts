import type { BatchContext, BatchHandler, BatchOutcome, IncomingMessage } from '@shewhart/bus';
import { type ShewhartEvent, validateEvent } from '@shewhart/events';
import type { EventStore } from '@shewhart/warehouse';
import { classifyStoreFailure } from './store-errors.js';
import { StoreGate } from './store-gate.js';

/**
 * Where a message that can never be stored goes, with the reason and the number of store attempts it
 * had (1 for a message that failed decoding or validation): the Kafka dead-letter topic.
 */
export type DeadLetterSink = (message: IncomingMessage, reason: string, attempt: number) => Promise<void>;

export interface EventsConsumerOptions {
  store: EventStore;
  /** Absent in the embedded default, where only the validating collector publishes. */
  deadLetter?: DeadLetterSink;
  /**
   * Skip re-validation of messages. Only for the in-process bus, whose sole producer is the collector
   * that validated the batch a moment before; messages from a broker are always validated.
   */
  trusted?: boolean;
  /** Store attempts of a single message ClickHouse refuses before it is dead-lettered (default 3). */
  deadLetterAttempts?: number;
  onOutcome?: (outcome: BatchOutcome) => void;
}

interface Item {
  message: IncomingMessage;
  event: ShewhartEvent;
}

const NOTHING: BatchOutcome = { stored: 0, duplicates: 0, rejected: 0 };
const add = (a: BatchOutcome, b: BatchOutcome): BatchOutcome => ({
  stored: a.stored + b.stored,
  duplicates: a.duplicates + b.duplicates,
  rejected: a.rejected + b.rejected,
});

/**
 * The worker's batch handler: decode → validate → store → dead-letter. Every message ends in exactly
 * one outcome: stored, duplicate, or rejected (dead-lettered). It resolves only after the store
 * committed and the dead letters were acknowledged, so the bus acknowledges (commits offsets) only
 * what is durably somewhere. A transient storage failure rejects the whole batch and the bus
 * redelivers it; a batch ClickHouse refuses for its content is split until the refused messages are
 * found (see storeIsolating).
 */
export function createEventsHandler(options: EventsConsumerOptions): BatchHandler {
  const attempts = options.deadLetterAttempts ?? 3;
  const gate = new StoreGate();
  return async (batch, context) => {
    const items: Item[] = [];
    const invalid: { message: IncomingMessage; reason: string }[] = [];
    for (const message of batch.messages) {
      const decoded = decode(message, options.trusted === true);
      if ('event' in decoded) items.push({ message, event: decoded.event });
      else if (!options.deadLetter)
        throw new Error(`invalid message at offset ${message.offset}: ${decoded.reason}`);
      else invalid.push({ message, reason: decoded.reason });
    }
    // Store first, dead-letter after: a storage outage then redelivers the batch without having
    // dead-lettered its invalid messages once per attempt.
    let outcome = await store(items, options, context, attempts, gate);
    for (const { message, reason } of invalid) {
      await options.deadLetter?.(message, reason, 1);
      outcome = add(outcome, { stored: 0, duplicates: 0, rejected: 1 });
    }
    options.onOutcome?.(outcome);
    return outcome;
  };
}

/** Stores the items next to other partitions' batches; when that fails for the data, isolates alone. */
async function store(
  items: Item[],
  options: EventsConsumerOptions,
  context: BatchContext | undefined,
  attempts: number,
  gate: StoreGate,
): Promise<BatchOutcome> {
  if (items.length === 0) return NOTHING;
  try {
    return { ...(await gate.shared(() => options.store.write(items.map((i) => i.event)))), rejected: 0 };
  } catch (error) {
    if (!options.deadLetter || classifyStoreFailure(error) === 'retry') throw error;
    // The failed flush may have held other partitions' rows: whose message was refused is found alone.
    return gate.exclusive(() => storeIsolating(items, options, context, attempts));
  }
}

/**
 * Stores the items; when ClickHouse refuses them for a reason that is not transient (a value it cannot
 * parse, a row too large), bisects: each half is stored on its own, down to single messages, which get
 * `attempts` tries with backoff before they are dead-lettered with the error. Good events are never
 * dropped with a bad one and the partition moves on. Halves that were stored before a later transient
 * failure are redelivered with the batch and found to be duplicates by the idempotency key.
 */
async function storeIsolating(
  items: Item[],
  options: EventsConsumerOptions,
  context: BatchContext | undefined,
  attempts: number,
): Promise<BatchOutcome> {
  if (items.length === 0) return NOTHING;
  try {
    return { ...(await options.store.write(items.map((i) => i.event))), rejected: 0 };
  } catch (error) {
    const deadLetter = options.deadLetter;
    if (!deadLetter || classifyStoreFailure(error) === 'retry') throw error;
    await context?.heartbeat();
    if (items.length > 1) {
      const mid = items.length >>> 1;
      const left = await storeIsolating(items.slice(0, mid), options, context, attempts);
      return add(left, await storeIsolating(items.slice(mid), options, context, attempts));
    }
    const item = items[0] as Item;
    let last: unknown = error;
    for (let attempt = 2; attempt <= attempts; attempt++) {
      await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 2)));
      await context?.heartbeat();
      try {
        return { ...(await options.store.write([item.event])), rejected: 0 };
      } catch (retryError) {
        if (classifyStoreFailure(retryError) === 'retry') throw retryError;
        last = retryError;
      }
    }
    const reason = `refused by storage: ${last instanceof Error ? last.message : String(last)}`;
    await deadLetter(item.message, reason, attempts);
    return { stored: 0, duplicates: 0, rejected: 1 };
  }
}

function decode(message: IncomingMessage, trusted: boolean): { event: ShewhartEvent } | { reason: string } {
  // In process the collector hands over the validated object itself (see OutgoingMessage.payload).
  if (trusted && message.payload !== undefined) return { event: message.payload as ShewhartEvent };
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
