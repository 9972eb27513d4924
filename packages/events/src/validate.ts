import type { z } from 'zod';
import { ShewhartEvent } from './envelope.js';
import { EVENT_TYPE_NAMES } from './types.js';

/** One validation error, as the ingest API reports it (docs/events.md, "Ingest rules"). */
export interface EventError {
  /** 0-based position of the event in the posted array / NDJSON body (a single object is 0). */
  index: number;
  /** Path of the offending field inside that event, e.g. `["data", "severity"]`. */
  path: (string | number)[];
  message: string;
}

export type BatchValidation = { ok: true; events: ShewhartEvent[] } | { ok: false; errors: EventError[] };

const typeList = EVENT_TYPE_NAMES.join(', ');

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function describe(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return 'is required';
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'type') return `must be one of: ${typeList}`;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `must be one of: ${(issue.values as unknown[]).map(String).join(', ')}`;
  }
  if (issue.code === 'invalid_format')
    return issue.message.startsWith('must') ? issue.message : issue.message;
  return issue.message;
}

/** Validates one event; errors carry `index` so callers can validate batches element by element. */
export function validateEvent(input: unknown, index = 0): { event?: ShewhartEvent; errors: EventError[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { errors: [{ index, path: [], message: 'must be a JSON object (an event)' }] };
  }
  const result = ShewhartEvent.safeParse(input);
  if (result.success) return { event: result.data as ShewhartEvent, errors: [] };
  return {
    errors: result.error.issues.map((issue) => ({
      index,
      path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      message: describe(issue, input),
    })),
  };
}

/**
 * Validates a batch all-or-nothing: either every event is valid (and normalised with the envelope and
 * payload defaults) or the batch is refused with every error found, so a client can fix them in one go.
 */
export function validateBatch(items: readonly unknown[]): BatchValidation {
  const events: ShewhartEvent[] = [];
  const errors: EventError[] = [];
  items.forEach((item, index) => {
    const r = validateEvent(item, index);
    if (r.event) events.push(r.event);
    else errors.push(...r.errors);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, events };
}
