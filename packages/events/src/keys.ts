import type { ShewhartEvent } from './envelope.js';

/** The idempotency key of contract v1, end to end: (`source`, `id`). */
export function eventKey(event: Pick<ShewhartEvent, 'source' | 'id'>): string {
  // U+0000 cannot appear in JSON strings we accept unescaped, so it is a safe separator.
  return `${event.source}\u0000${event.id}`;
}
