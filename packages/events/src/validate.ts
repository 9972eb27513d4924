import type { z } from 'zod';
import { ShewhartEvent } from './envelope.js';
import { textProblem } from './primitives.js';
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

/** At most this many string problems are reported per event: enough to fix them, bounded for hostile input. */
const MAX_TEXT_ISSUES = 20;

/**
 * Every string of an event, field names and unknown fields included, must be storable text: valid
 * Unicode, no control characters but tab, line feed and carriage return (identifiers refuse those too,
 * in their schemas). Walked without recursion, so a deeply nested body cannot exhaust the stack.
 */
function textIssues(input: unknown): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: input, path: [] }];
  while (stack.length > 0 && issues.length < MAX_TEXT_ISSUES) {
    const { value, path } = stack.pop() as { value: unknown; path: (string | number)[] };
    if (typeof value === 'string') {
      const why = textProblem(value);
      if (why) issues.push({ path, message: why });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
    } else if (typeof value === 'object' && value !== null) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        const why = textProblem(key);
        if (why) issues.push({ path: [...path, key], message: `field name ${why}` });
        else stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return issues;
}

const samePath = (a: readonly (string | number)[], b: readonly (string | number)[]) =>
  a.length === b.length && a.every((p, i) => p === b[i]);

/** Validates one event; errors carry `index` so callers can validate batches element by element. */
export function validateEvent(input: unknown, index = 0): { event?: ShewhartEvent; errors: EventError[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { errors: [{ index, path: [], message: 'must be a JSON object (an event)' }] };
  }
  const result = ShewhartEvent.safeParse(input);
  const errors: EventError[] = result.success
    ? []
    : result.error.issues.map((issue) => ({
        index,
        path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
        message: describe(issue, input),
      }));
  // A field the schema already refused is reported once, with the schema's message.
  for (const t of textIssues(input)) {
    if (!errors.some((e) => samePath(e.path, t.path))) errors.push({ index, ...t });
  }
  if (errors.length === 0 && result.success) return { event: result.data as ShewhartEvent, errors: [] };
  return { errors };
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
