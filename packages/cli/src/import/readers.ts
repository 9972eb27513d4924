import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import chain from 'stream-chain';
import { parser } from 'stream-json';
import { streamArray } from 'stream-json/streamers/stream-array.js';

export type ImportFormat = 'ndjson' | 'json' | 'csv';

/** One record read from an input, with where it came from (for error messages). */
export type ImportRecord = { where: string; value: unknown } | { where: string; error: string };

export interface ImportSource {
  name: string;
  /** Bytes in the input when known (files), for progress. */
  size?: number;
  records(onBytes: (bytes: number) => void): AsyncIterable<ImportRecord>;
}

/** Picks the reader by --format, else by extension, else by the first non-blank character. */
export async function detectFormat(path: string, explicit?: string): Promise<ImportFormat> {
  if (explicit) {
    if (explicit === 'ndjson' || explicit === 'json' || explicit === 'csv') return explicit;
    throw new Error(`--format must be ndjson, json or csv (got "${explicit}")`);
  }
  if (/\.(ndjson|jsonl)$/i.test(path)) return 'ndjson';
  if (/\.csv$/i.test(path)) return 'csv';
  if (path === '-') return 'ndjson';
  const first = await firstChar(path);
  return first === '[' ? 'json' : 'ndjson';
}

async function firstChar(path: string): Promise<string | undefined> {
  const stream = createReadStream(path, { start: 0, end: 4095, encoding: 'utf8' });
  for await (const chunk of stream) {
    const c = (chunk as string).trimStart()[0];
    if (c) {
      stream.destroy();
      return c;
    }
  }
  return undefined;
}

function open(path: string, onBytes: (bytes: number) => void): Readable {
  const stream = path === '-' ? process.stdin : createReadStream(path);
  stream.on('data', (chunk: Buffer | string) =>
    onBytes(typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length),
  );
  return stream;
}

export function openSource(path: string, format: ImportFormat): ImportSource {
  const name = path === '-' ? 'stdin' : path;
  const size = path === '-' ? undefined : statSync(path).size;
  const readers = { ndjson: readNdjson, json: readJsonArray, csv: readCsv };
  return { name, size, records: (onBytes) => readers[format](path, name, onBytes) };
}

/** NDJSON: streamed line by line; blank lines are skipped; line numbers are 1-based. */
async function* readNdjson(
  path: string,
  name: string,
  onBytes: (n: number) => void,
): AsyncIterable<ImportRecord> {
  const lines = createInterface({ input: open(path, onBytes), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { where: `${name}:${line}`, value: JSON.parse(text) };
    } catch (error) {
      yield { where: `${name}:${line}`, error: `not valid JSON: ${(error as Error).message}` };
    }
  }
}

/** A JSON array of events, streamed element by element (a multi-GB array is never held in memory). */
async function* readJsonArray(
  path: string,
  name: string,
  onBytes: (n: number) => void,
): AsyncIterable<ImportRecord> {
  const pipeline = chain([open(path, onBytes), parser(), streamArray()]);
  try {
    for await (const item of pipeline as AsyncIterable<{ key: number; value: unknown }>) {
      yield { where: `${name}[${item.key}]`, value: item.value };
    }
  } catch (error) {
    yield { where: name, error: `not a valid JSON array: ${(error as Error).message}` };
  }
}

/**
 * CSV with a header row. Columns `id, source, type, time, team, project, specversion` fill the envelope;
 * `data.<field>` columns (dotted paths for nested objects) fill the payload. Empty cells are omitted.
 * Cells of `data.*` columns are typed: `true`/`false` → boolean, `[...]`/`{...}` → JSON, numerals →
 * numbers, except for fields whose name ends in `Id` (identifiers stay strings).
 *
 * A malformed row (a field count that differs from the header's, a stray quote) is an invalid record
 * like any other: reported with its file and line and skipped, so one bad row of a large export does
 * not abort the import (or, with --strict, it makes the whole import refuse, as any invalid record
 * does). Rows therefore come as arrays and are matched to the header here, and csv-parse skips the rows
 * it cannot parse (`on_skip`), which are reported in line order between the good ones.
 */
async function* readCsv(
  path: string,
  name: string,
  onBytes: (n: number) => void,
): AsyncIterable<ImportRecord> {
  const skipped: { line: number; message: string }[] = [];
  const rows = open(path, onBytes).pipe(
    parseCsv({
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        if (error) skipped.push({ line: (error as { lines?: number }).lines ?? 0, message: error.message });
      },
    }),
  );
  const at = (line: number) => `${name}:${line}`;
  function* skippedUpTo(line: number): Generator<ImportRecord> {
    while (skipped.length > 0 && (skipped[0] as { line: number }).line <= line) {
      const s = skipped.shift() as { line: number; message: string };
      yield { where: at(s.line), error: `not a valid CSV row: ${withoutLine(s.message)}` };
    }
  }
  let header: string[] | undefined;
  let lastLine = 0;
  try {
    for await (const { record, info } of rows as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      lastLine = info.lines;
      yield* skippedUpTo(info.lines);
      if (!header) {
        header = record;
        continue;
      }
      if (record.length !== header.length) {
        yield {
          where: at(info.lines),
          error: `the row has ${record.length} fields but the header has ${header.length}`,
        };
        continue;
      }
      try {
        const cells = Object.fromEntries(header.map((column, i) => [column, record[i] as string]));
        yield { where: at(info.lines), value: csvRecordToEvent(cells) };
      } catch (error) {
        yield { where: at(info.lines), error: (error as Error).message };
      }
    }
  } catch (error) {
    // An error csv-parse cannot skip ends the file; it is still reported as a record of this file.
    yield* skippedUpTo(Number.POSITIVE_INFINITY);
    const line = (error as { lines?: number }).lines ?? lastLine;
    yield {
      where: at(line),
      error: `not a valid CSV file from here on: ${withoutLine((error as Error).message)}`,
    };
    return;
  }
  yield* skippedUpTo(Number.POSITIVE_INFINITY);
}

/** csv-parse messages end with "at line N" / "on line N"; the record's `where` already says it. */
function withoutLine(message: string): string {
  return message.replace(/\s+(at|on) line \d+/, '');
}

const ENVELOPE_COLUMNS = new Set(['id', 'source', 'type', 'time', 'team', 'project', 'specversion']);

export function csvRecordToEvent(record: Record<string, string>): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  for (const [column, cell] of Object.entries(record)) {
    if (cell === '' || cell === undefined) continue;
    if (ENVELOPE_COLUMNS.has(column)) {
      event[column] = cell;
    } else if (column.startsWith('data.')) {
      const path = column.slice(5).split('.');
      let target = data;
      for (const key of path.slice(0, -1)) {
        target[key] ??= {};
        target = target[key] as Record<string, unknown>;
      }
      const field = path.at(-1) as string;
      target[field] = typeCell(field, cell, column);
    } else {
      throw new Error(
        `unknown column "${column}" (expected ${[...ENVELOPE_COLUMNS].join(', ')} or data.<field>)`,
      );
    }
  }
  event.data = data;
  return event;
}

function typeCell(field: string, cell: string, column: string): unknown {
  if (/Id$/.test(field) || field === 'id') return cell;
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  if (cell.startsWith('[') || cell.startsWith('{')) {
    try {
      return JSON.parse(cell);
    } catch {
      throw new Error(`column ${column}: not valid JSON`);
    }
  }
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(cell)) return Number(cell);
  return cell;
}
