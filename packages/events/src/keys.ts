import type { ShewhartEvent } from './envelope.js';

/**
 * The idempotency key of contract v1, end to end: (`source`, `id`), as one string for in-memory sets and
 * maps. Length-prefixed, so distinct pairs never share a key whatever characters they hold: joined with a
 * separator, ("x\0b", "c") and ("x", "b\0c") once collided and one of two distinct events was dropped as
 * a duplicate. (The contract now also refuses control characters in both; this encoding does not rely
 * on that.)
 */
export function eventKey(event: Pick<ShewhartEvent, 'source' | 'id'>): string {
  return `${event.source.length}:${event.source}${event.id}`;
}
