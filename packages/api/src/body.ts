import type { EventError } from '@shewhart/events';

export type ParsedBody = { ok: true; items: unknown[] } | { ok: false; errors: EventError[] };

/** Request-body limits (docs/reliability.md): beyond them a request is refused whole, nothing stored. */
export interface BodyLimits {
  /** Nesting of arrays and objects; an event needs 4 or 5 levels. */
  maxDepth: number;
  /** Events in one request (a JSON array's elements, or NDJSON lines). */
  maxItems: number;
  /**
   * Array elements and object members in the whole body. Parsing and validating cost about a microsecond
   * each: 16 MiB of `{},` (5.5 million) took 6 s of the event loop; 10,000 events with 20 changes each
   * hold about 750,000.
   */
  maxValues: number;
  /** Members of one object: an event has a few dozen; a million keys took seconds to parse and walk. */
  maxMembers: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  maxDepth: 32,
  maxItems: 10_000,
  maxValues: 1_000_000,
  maxMembers: 1_000,
};

/** A body beyond a limit (413), told before anything is parsed into memory. */
export class BodyLimitError extends Error {
  override readonly name = 'BodyLimitError';
  readonly kind = 'payload_too_large' as const;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text. JSON must be UTF-8 (RFC 8259 §8.1): a body that is not is refused whole rather than
 * stored with replacement characters.
 */
export function decodeBody(
  raw: Buffer | string,
): { ok: true; text: string } | { ok: false; errors: EventError[] } {
  if (typeof raw === 'string') return { ok: true, text: raw };
  try {
    return { ok: true, text: STRICT_UTF8.decode(raw) };
  } catch {
    return { ok: false, errors: [{ index: 0, path: [], message: 'body is not valid UTF-8' }] };
  }
}

/**
 * One linear pass over JSON text that measures its nesting, its size in values and, for a top-level
 * array, its elements — before `JSON.parse` builds anything: a 16 MiB body of five million empty objects,
 * of nested brackets a hundred thousand deep, or one object of a million keys is refused in milliseconds
 * instead of exhausting memory, the stack or the event loop.
 */
export function checkShape(text: string, limits: BodyLimits, start = 0, end = text.length): number {
  let depth = 0;
  let items = 0;
  let values = 0;
  let topArray = false;
  // Per open container: whether it is an object, and its members so far (commas).
  const isObject = new Uint8Array(limits.maxDepth + 2);
  const members = new Uint32Array(limits.maxDepth + 2);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // skip a string, honouring escapes
      for (i++; i < end; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      if (depth === 0 && c === 0x5b) topArray = true;
      depth++;
      if (depth > limits.maxDepth) {
        throw new BodyLimitError(`body nests deeper than ${limits.maxDepth} levels`);
      }
      isObject[depth] = c === 0x7b ? 1 : 0;
      members[depth] = 0;
      values++;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    } else if (c === 0x2c) {
      values++;
      if (depth === 1 && topArray) {
        items++; // elements = commas + 1
        if (items >= limits.maxItems) {
          throw new BodyLimitError(`a request carries at most ${limits.maxItems} events; split the batch`);
        }
      }
      if (depth > 0 && isObject[depth] === 1) {
        const n = (members[depth] ?? 0) + 1;
        members[depth] = n;
        if (n >= limits.maxMembers) {
          throw new BodyLimitError(`an object of the body has more than ${limits.maxMembers} members`);
        }
      }
    } else continue;
    if (values > limits.maxValues) {
      throw new BodyLimitError(
        `body holds more than ${limits.maxValues} array elements and object members; split it`,
      );
    }
  }
  return values;
}

/** A JSON body is one event (index 0) or an array of events. */
export function parseJsonBody(text: string, limits: BodyLimits = DEFAULT_BODY_LIMITS): ParsedBody {
  checkShape(text, limits);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      errors: [{ index: 0, path: [], message: `body is not valid JSON: ${(error as Error).message}` }],
    };
  }
  return { ok: true, items: Array.isArray(value) ? value : [value] };
}

/** NDJSON: one event per non-blank line; `index` counts events, so blank lines do not shift it. */
export function parseNdjsonBody(text: string, limits: BodyLimits = DEFAULT_BODY_LIMITS): ParsedBody {
  const items: unknown[] = [];
  const errors: EventError[] = [];
  let values = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const index = items.length;
    if (index >= limits.maxItems) {
      throw new BodyLimitError(`a request carries at most ${limits.maxItems} events; split the batch`);
    }
    // Each line is one event: its own nesting is bounded like a JSON body's (one level less), and the
    // values of all lines together like a JSON body's.
    values += checkShape(trimmed, { ...limits, maxItems: Number.POSITIVE_INFINITY });
    if (values > limits.maxValues) {
      throw new BodyLimitError(
        `body holds more than ${limits.maxValues} array elements and object members; split it`,
      );
    }
    try {
      items.push(JSON.parse(trimmed));
    } catch (error) {
      items.push(undefined);
      errors.push({ index, path: [], message: `line is not valid JSON: ${(error as Error).message}` });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items };
}
