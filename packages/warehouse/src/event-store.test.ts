import { randomUUID } from 'node:crypto';
// The client's own encoder of query parameters (how a ClickHouse server receives them, in the URL).
import { toSearchParams } from '@clickhouse/client/dist/common/utils/url.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRow } from './event-row.js';
import { KEY_PARAM_BUDGET, keyChunks } from './event-store.js';

const row = (source: string, id: string) => ({ source, id }) as EventRow;

/** Encoded length of each parameter of the key look-up, as the client sends it. */
function encodedFields(part: EventRow[]): number[] {
  const params = toSearchParams({
    database: 'shewhart',
    query_id: 'q',
    query_params: { s: part.map((r) => r.source), i: part.map((r) => r.id) },
  } as never);
  return [...params.entries()]
    .filter(([k]) => k.startsWith('param_'))
    .map(([k, v]) => new URLSearchParams([[k, v]]).toString().length - k.length - 1);
}

describe('key look-up chunks', () => {
  it('keep every parameter of a 20,000-event batch under the server limit, in order', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      row(`https://gitlab.example.com/group-${i % 7}/project/-/pipelines`, randomUUID()),
    );
    const chunks = keyChunks(rows);
    expect(chunks.length).toBeGreaterThan(1);
    expect(keyChunks([row('a', '\ud800'), row('b', 'c')]).flat()).toHaveLength(2);
    expect(chunks.flat()).toEqual(rows);
    for (const part of chunks) {
      for (const length of encodedFields(part)) expect(length).toBeLessThanOrEqual(KEY_PARAM_BUDGET);
      // A ClickHouse server refuses a URL field over 128 KiB (`http_max_field_value_size`).
      expect(KEY_PARAM_BUDGET).toBeLessThan(128 * 1024);
    }
  });

  it('bound the encoded size for any source and id (quotes, backslashes, Unicode)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.string({ unit: 'grapheme', maxLength: 300 }),
            fc.string({ unit: 'binary', maxLength: 120 }),
          ),
          {
            minLength: 1,
            maxLength: 2_000,
          },
        ),
        (pairs) => {
          const rows = pairs.map(([s, i]) => row(s, i));
          const chunks = keyChunks(rows, 8 * 1024);
          expect(chunks.flat()).toEqual(rows);
          for (const part of chunks) {
            for (const n of encodedFields(part)) expect(n).toBeLessThanOrEqual(8 * 1024);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
