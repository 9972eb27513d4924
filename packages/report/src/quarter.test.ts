import { describe, expect, it } from 'vitest';
import {
  lastClosedQuarter,
  nextQuarter,
  parseQuarter,
  previousQuarter,
  quartersEndingWith,
} from './quarter.js';
import { periodsIn } from './sections/objectives.js';

describe('quarters', () => {
  it('parses YYYY-Qn into its first and last day and exclusive end (UTC)', () => {
    const q = parseQuarter('2026-Q3');
    expect([q.from, q.to, q.end.toISOString()]).toEqual([
      '2026-07-01',
      '2026-09-30',
      '2026-10-01T00:00:00.000Z',
    ]);
    expect(parseQuarter('2024-Q1').to).toBe('2024-03-31');
    expect(parseQuarter('2026-Q4').end.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('refuses anything else with a message naming the form', () => {
    for (const bad of ['2026-Q5', '2026Q3', '26-Q1', '2026-q3', '']) {
      expect(() => parseQuarter(bad)).toThrow('quarter must look like 2026-Q3');
    }
  });

  it('steps across years', () => {
    expect(previousQuarter(parseQuarter('2026-Q1')).id).toBe('2025-Q4');
    expect(nextQuarter(parseQuarter('2026-Q4')).id).toBe('2027-Q1');
    expect(quartersEndingWith(parseQuarter('2026-Q2'), 3).map((q) => q.id)).toEqual([
      '2025-Q4',
      '2026-Q1',
      '2026-Q2',
    ]);
  });

  it('knows the last closed quarter at an instant (a quarter closes at its exclusive end)', () => {
    expect(lastClosedQuarter(new Date('2026-12-02T03:00:00Z')).id).toBe('2026-Q3');
    expect(lastClosedQuarter(new Date('2026-10-01T00:00:00Z')).id).toBe('2026-Q3');
    expect(lastClosedQuarter(new Date('2026-09-30T23:59:59Z')).id).toBe('2026-Q2');
  });

  it('counts the periods of a grain that start inside a quarter', () => {
    const q3 = parseQuarter('2026-Q3');
    expect(periodsIn(q3, 'quarter')).toBe(1);
    expect(periodsIn(q3, 'month')).toBe(3);
    expect(periodsIn(q3, 'day')).toBe(92);
    // Mondays from 2026-07-06 to 2026-09-28.
    expect(periodsIn(q3, 'week')).toBe(13);
    expect(periodsIn(parseQuarter('2026-Q2'), 'week')).toBe(13);
  });
});
