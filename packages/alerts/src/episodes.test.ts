import { describe, expect, it } from 'vitest';
import { missEpisodes, predictAttainment, signalEpisodes } from './episodes.js';

const weeks = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    new Date(Date.UTC(2026, 0, 5) + i * 7 * 86_400_000).toISOString().slice(0, 10),
  );

describe('signalEpisodes', () => {
  const p = weeks(30);
  it('opens at the first firing and stays firing until k quiet points', () => {
    const firings = new Set([p[3], p[4], p[6]] as string[]);
    const [e, ...rest] = signalEpisodes(p.slice(0, 14), firings, 8, null);
    expect(rest).toEqual([]);
    expect(e).toEqual({ start: p[3], firings: [p[3], p[4], p[6]], end: null, endReason: null });
  });

  it('ends on the k-th consecutive closed point without the rule, and a later firing is a new episode', () => {
    const firings = new Set([p[3], p[20]] as string[]);
    const episodes = signalEpisodes(p.slice(0, 25), firings, 8, null);
    expect(episodes).toEqual([
      { start: p[3], firings: [p[3]], end: p[11], endReason: 'quiet' },
      { start: p[20], firings: [p[20]], end: null, endReason: null },
    ]);
  });

  it('seven quiet points do not end it; a firing resets the count', () => {
    const firings = new Set([p[0], p[8]] as string[]);
    expect(signalEpisodes(p.slice(0, 16), firings, 8, null)).toEqual([
      { start: p[0], firings: [p[0], p[8]], end: null, endReason: null },
    ]);
  });

  it('ends with its stage', () => {
    const firings = new Set([p[3]] as string[]);
    expect(signalEpisodes(p, firings, 8, p[6] as string)).toEqual([
      { start: p[3], firings: [p[3]], end: p[6], endReason: 'stage_ended' },
    ]);
  });
});

describe('missEpisodes', () => {
  it('one per missed period, ended by the next met period', () => {
    const e = missEpisodes([
      { periodStart: '2026-01-05', status: 'met', actual: 1 },
      { periodStart: '2026-01-12', status: 'missed', actual: 5 },
      { periodStart: '2026-01-19', status: 'not_evaluable', actual: null },
      { periodStart: '2026-01-26', status: 'missed', actual: 6 },
      { periodStart: '2026-02-02', status: 'met', actual: 2 },
      { periodStart: '2026-02-09', status: 'missed', actual: 7 },
    ]);
    expect(e).toEqual([
      { periodStart: '2026-01-12', actual: 5, metAgain: '2026-02-02' },
      { periodStart: '2026-01-26', actual: 6, metAgain: '2026-02-02' },
      { periodStart: '2026-02-09', actual: 7, metAgain: null },
    ]);
  });
});

describe('predictAttainment', () => {
  it('matches the normal probability for a fitted normal (5–19 values)', () => {
    // mean 10, sample sd 2 (values symmetric around 10): P(X ≤ 12) = Φ(1) = 0.8413.
    const values = [7, 8.5, 10, 11.5, 13, 10, 10, 8, 12, 10];
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const target = mean + sd;
    const r = predictAttainment(values, { direction: 'lower', target }, 7, 100_000);
    expect(r?.method).toBe('normal');
    expect(r?.pAttain).toBeCloseTo(0.8413, 2);
  });

  it('bootstraps from 20 values: the share of values meeting the target', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20, 5 of 20 are ≥ 16
    const r = predictAttainment(values, { direction: 'higher', target: 16 }, 3, 100_000);
    expect(r?.method).toBe('bootstrap');
    expect(r?.pAttain).toBeCloseTo(0.25, 2);
    expect(r?.wilson95[0]).toBeLessThan(0.25);
  });

  it('a range objective is met inside its band; fewer than 5 values predict nothing', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(
      predictAttainment(values, { direction: 'range', low: 6, high: 15 }, 1, 50_000)?.pAttain,
    ).toBeCloseTo(0.5, 1);
    expect(predictAttainment([1, 2, 3, 4], { direction: 'lower', target: 3 }, 1)).toBeNull();
  });
});
