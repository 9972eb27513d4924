/**
 * Reading the CSV form of `shewhart spc` input with csv-parse: the delimiter is detected (comma,
 * semicolon, tab, or runs of spaces), and a decimal comma ("10,5") is read when the delimiter is not
 * a comma, as spreadsheets in much of Europe export ("1;10,5"). Every rejection names the line and
 * column.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { SpcInputError } from '../errors.js';

export type Delimiter = ',' | ';' | '\t' | ' ';

export interface CsvTable {
  delimiter: Delimiter;
  /** Non-empty, non-comment records with their 1-based line numbers, cells trimmed. */
  rows: { cells: string[]; line: number }[];
}

/** Counts of each candidate delimiter outside double quotes on one line. */
function delimiterCounts(line: string): Record<',' | ';' | '\t', number> {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  return counts;
}

/**
 * The delimiter that splits the most lines. A semicolon or a tab wins a tie with the comma: in
 * "1;10,5" the comma is the decimal separator, never the other way round. Without any of them, runs
 * of spaces separate columns when some line has two tokens, else the input is one column.
 */
export function detectDelimiter(text: string): Delimiter {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const lineCount = { ',': 0, ';': 0, '\t': 0 };
  for (const line of lines) {
    const c = delimiterCounts(line);
    for (const d of [',', ';', '\t'] as const) if (c[d] > 0) lineCount[d]++;
  }
  const best = ([';', '\t', ','] as const).reduce((a, b) => (lineCount[b] > lineCount[a] ? b : a));
  // One column with decimal commas ("Wert\n10,5\n11"): a header of one name cannot head two columns,
  // so when every data line is a number with at most one decimal comma there is no delimiter at all.
  const [head, ...data] = lines;
  if (
    best === ',' &&
    head !== undefined &&
    !head.includes(',') &&
    cellNumber(head, ';') === null &&
    data.length > 0 &&
    data.every((l) => cellNumber(l, ';') !== null)
  ) {
    return ';';
  }
  if (lineCount[best] > 0) return best;
  return lines.some((l) => /\S\s+\S/.test(l)) ? ' ' : ',';
}

/** Parses CSV text into trimmed records with line numbers; comment lines (`#`) and blank lines skipped. */
export function readCsv(text: string): CsvTable {
  const delimiter = detectDelimiter(text);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      comment: '#',
      comment_no_infix: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
      trim: delimiter !== '\t',
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      throw new SpcInputError(
        `the CSV cannot be read${line ? ` at line ${line}` : ''}: ${e.message.replace(/^[A-Za-z ]+: /, '')}`,
      );
    }
    throw e;
  }
  return {
    delimiter,
    rows: records.map(({ record, info }) => ({
      // Runs of spaces are one separator; with a real delimiter an empty cell is kept (ragged subgroups).
      cells: delimiter === ' ' ? record.filter((c) => c !== '') : record.map((c) => c.trim()),
      line: info.lines,
    })),
  };
}

const DECIMAL_COMMA = /^[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?$/;

/** A cell as a number: plain JavaScript/CSV notation, or a decimal comma when the delimiter allows it. */
export function cellNumber(cell: string, delimiter: Delimiter): number | null {
  const t = cell.trim();
  if (t === '') return null;
  const text = delimiter !== ',' && DECIMAL_COMMA.test(t) ? t.replace(',', '.') : t;
  // Number() accepts "0x1A", "Infinity" and "1_000" is rejected; only decimal notation counts here.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** The number in a cell, or an error naming the line, the column and what is accepted. */
export function requireNumber(cell: string, delimiter: Delimiter, line: number, column: number): number {
  const v = cellNumber(cell, delimiter);
  if (v !== null) return v;
  const hint =
    delimiter === ',' && /\d,\d/.test(cell)
      ? ' (a decimal comma is read only when the columns are separated by ";" or tabs)'
      : cell.trim() === ''
        ? ' (the cell is empty)'
        : '';
  throw new SpcInputError(`line ${line}, column ${column}: "${cell}" is not a number${hint}`);
}
