import type { EventError } from '@shewhart/events';

export type ParsedBody = { ok: true; items: unknown[] } | { ok: false; errors: EventError[] };

/** A JSON body is one event (index 0) or an array of events. */
export function parseJsonBody(text: string): ParsedBody {
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
export function parseNdjsonBody(text: string): ParsedBody {
  const items: unknown[] = [];
  const errors: EventError[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const index = items.length;
    try {
      items.push(JSON.parse(trimmed));
    } catch (error) {
      items.push(undefined);
      errors.push({ index, path: [], message: `line is not valid JSON: ${(error as Error).message}` });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items };
}
