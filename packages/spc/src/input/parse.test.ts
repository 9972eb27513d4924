import { describe, expect, it } from 'vitest';
import { defaultChart, parseChartInput, parseCsv, parseJsonDocument, parseSample } from './parse.js';

describe('input parsing', () => {
  it('reads one value column, with or without a header', () => {
    expect(parseCsv('value\n1\n2.5\n\n3\n')).toEqual({ values: [1, 2.5, 3] });
    expect(parseCsv('1\n2\n3')).toEqual({ values: [1, 2, 3] });
  });

  it('reads count,size columns by header name and rows of subgroups', () => {
    expect(parseCsv('size,count\n50,12\n50,15')).toEqual({ counts: [12, 15], sizes: [50, 50] });
    expect(parseCsv('1,2,3\n4,5,6\n7,8,')).toEqual({
      subgroups: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8],
      ],
    });
    expect(parseCsv('12,50\n15,50', 'p')).toEqual({ counts: [12, 15], sizes: [50, 50] });
  });

  it('rejects non-numeric cells naming the line and column, and empty input', () => {
    expect(() => parseCsv('value\n1\nabc\n')).toThrow(/line 3, column 1: "abc" is not a number/);
    expect(() => parseCsv('\n\n')).toThrow(/empty/);
    expect(() => parseCsv('count,size\n1,10\n2\n')).toThrow(/line 3: the size column is missing/);
  });

  it('reads the JSON document and rejects wrong types', () => {
    const doc = parseJsonDocument(
      '{"chart":"p","counts":[1,2],"sizes":[10,10],"rules":"nelson","phase1":2,"exclude":[1],"spec":{"usl":3}}',
    );
    expect(doc).toMatchObject({
      chart: 'p',
      counts: [1, 2],
      sizes: [10, 10],
      rules: 'nelson',
      phase1: 2,
      exclude: [1],
    });
    expect(doc.spec).toEqual({ usl: 3 });
    expect(() => parseJsonDocument('{"values":[1,"x"]}')).toThrow(/values\[2\] is not a number/);
    expect(() => parseJsonDocument('{"values":[1,2],"chart":"pareto"}')).toThrow(/unknown chart "pareto"/);
    expect(() => parseJsonDocument('{oops')).toThrow(/not valid JSON/);
    expect(parseChartInput('[1,2,3]')).toEqual({ values: [1, 2, 3] });
  });

  it('chooses X̄-R up to n = 9, X̄-S from 10 or with varying sizes, p for counts within sizes', () => {
    expect(
      defaultChart({
        subgroups: [
          [1, 2],
          [3, 4],
        ],
      }),
    ).toBe('xbar-r');
    expect(
      defaultChart({
        subgroups: [
          [1, 2, 3],
          [3, 4],
        ],
      }),
    ).toBe('xbar-s');
    expect(defaultChart({ counts: [1, 2], sizes: [10, 10] })).toBe('p');
    expect(defaultChart({ counts: [3, 2], sizes: [1.5, 2.5] })).toBe('u');
    expect(defaultChart({ values: [1] })).toBe('xmr');
    expect(parseSample('x\n1\n2\n', 'before')).toEqual([1, 2]);
  });
});
