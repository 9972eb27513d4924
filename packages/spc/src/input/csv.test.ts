import { describe, expect, it } from 'vitest';
import { orangejuice } from '../fixtures/qcc.js';
import { detectDelimiter } from './csv.js';
import { parseChartInput, parseCsv } from './parse.js';

describe('CSV as spreadsheets export it (delimiter detected, decimal comma)', () => {
  it('reads "1;10,5": semicolons between columns, a decimal comma inside numbers', () => {
    expect(parseCsv('1;10,5\n2;11,25\n3;9,75\n')).toEqual({
      subgroups: [
        [1, 10.5],
        [2, 11.25],
        [3, 9.75],
      ],
    });
    expect(parseCsv('Wert\n10,5\n11\n-0,25\n1,5e2\n')).toEqual({ values: [10.5, 11, -0.25, 150] });
  });

  it('reads a semicolon count;size export of qcc orangejuice as the comma one', () => {
    const semi = `Anzahl;size\r\n${orangejuice.D.map((d) => `${d};50`).join('\r\n')}\r\n`;
    const comma = `count,size\n${orangejuice.D.map((d) => `${d},50`).join('\n')}\n`;
    expect(parseCsv(semi, 'p')).toEqual(parseCsv(comma));
  });

  it('detects tabs (with decimal commas), commas, and runs of spaces', () => {
    expect(detectDelimiter('a\tb\n1\t2,5\n')).toBe('\t');
    expect(parseCsv('count\tsize\n3\t12,5\n4\t10\n', 'u')).toEqual({ counts: [3, 4], sizes: [12.5, 10] });
    expect(detectDelimiter('1,2\n3,4\n')).toBe(',');
    expect(detectDelimiter('"a;b",c\n1,2\n')).toBe(','); // a semicolon inside quotes is text
    expect(parseCsv('1  2   3\n4 5 6\n')).toEqual({
      subgroups: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
    expect(parseCsv('\uFEFF# exported 2026-03-02\nvalue\n"1.5"\n2\n')).toEqual({ values: [1.5, 2] });
  });

  it('keeps trailing empty cells for ragged subgroups with either delimiter', () => {
    expect(parseCsv('1;2;3\n4;5;\n')).toEqual({
      subgroups: [
        [1, 2, 3],
        [4, 5],
      ],
    });
  });

  it('rejects what it cannot read, naming the line and column', () => {
    expect(() => parseCsv('count;size\n1;10\n2;x\n')).toThrow(/line 3, column 2: "x" is not a number/);
    // With commas between columns a decimal comma cannot be told apart from a delimiter.
    expect(() => parseCsv('a,b\n1,"10,5"\n')).toThrow(
      /line 2, column 2: "10,5" is not a number \(a decimal comma is read only when the columns are separated by ";" or tabs\)/,
    );
    expect(() => parseCsv('x;y\n1;1.234,5\n')).toThrow(/line 2, column 2: "1.234,5" is not a number/);
    expect(() => parseCsv('value\n1\n"2\n3\n')).toThrow(/the CSV cannot be read at line \d/);
    expect(() => parseCsv('value\n0x1A\n')).toThrow(/line 2, column 1: "0x1A" is not a number/);
    expect(() => parseCsv('# only a comment\n\n')).toThrow(/empty/);
  });

  it('the spc input path reads a semicolon file end to end', () => {
    expect(parseChartInput('Viskosität;\n34,1;\n33,9;\n', 'xmr')).toEqual({
      chart: 'xmr',
      values: [34.1, 33.9],
    });
    expect(parseChartInput('Viskosität\n34,1\n33,9\n34\n', 'xmr')).toEqual({
      chart: 'xmr',
      values: [34.1, 33.9, 34],
    });
    // Without a header, "34,1" is two columns: only a header of one name tells a decimal comma apart.
    expect(parseChartInput('34,1\n33,9\n')).toEqual({
      subgroups: [
        [34, 1],
        [33, 9],
      ],
    });
  });
});
