import { validateBatch } from '@shewhart/events';
import { describe, expect, it } from 'vitest';
import { demoEnd, generateDemo } from './generator.js';

const end = new Date('2026-01-05T00:00:00Z');

describe('demo generator', () => {
  it('is deterministic for a seed and end, and differs between seeds', () => {
    const a = [...generateDemo({ weeks: 20, teams: 2, seed: 7, end })];
    const b = [...generateDemo({ weeks: 20, teams: 2, seed: 7, end })];
    const c = [...generateDemo({ weeks: 20, teams: 2, seed: 8, end })];
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).not.toEqual(JSON.stringify(c));
  });

  it('produces only valid events, unique keys, all inside the history window', () => {
    const events = [...generateDemo({ weeks: 30, teams: 3, seed: 1, end })];
    expect(validateBatch(events).ok).toBe(true);
    expect(new Set(events.map((e) => `${e.source}/${e.id}`)).size).toBe(events.length);
    const start = end.getTime() - 30 * 7 * 86_400_000;
    for (const e of events) {
      const t = Date.parse(e.time);
      expect(t).toBeGreaterThanOrEqual(start);
      expect(t).toBeLessThan(end.getTime());
    }
  });

  it('covers every event family and plants one announced process change', () => {
    const events = [...generateDemo({ weeks: 40, teams: 2, seed: 3, end })];
    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'defect.reported',
      'defect.resolved',
      'delivery.release.planned',
      'delivery.release',
      'delivery.deployment',
      'delivery.incident.opened',
      'delivery.incident.resolved',
      'review.completed',
      'capa.opened',
      'capa.closed',
      'feedback.survey',
      'feedback.complaint',
      'process.changed',
    ]) {
      expect(types, t).toContain(t);
    }
    const changes = events.filter((e) => e.type === 'process.changed');
    expect(changes).toHaveLength(1);
    expect(changes[0]?.team).toBe('payments');
  });

  it('the improving team fails less after its process change', () => {
    const events = [...generateDemo({ weeks: 104, teams: 1, seed: 42, end })];
    const change = Date.parse(events.find((e) => e.type === 'process.changed')?.time ?? '');
    const prod = events.filter(
      (e) => e.type === 'delivery.deployment' && e.data.environment === 'production',
    );
    const rate = (list: typeof prod) =>
      list.filter((e) => e.data.status !== 'success' || e.data.changeFailure).length / list.length;
    const before = rate(prod.filter((e) => Date.parse(e.time) < change));
    const after = rate(prod.filter((e) => Date.parse(e.time) >= change));
    expect(after).toBeLessThan(before / 2);
  });

  it('ends on the Monday of the current week by default', () => {
    expect(demoEnd(new Date('2026-11-25T15:00:00Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(demoEnd(new Date('2026-11-23T00:00:00Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
    expect(() => [...generateDemo({ weeks: 2, teams: 1, seed: 1 })]).toThrow(/--weeks/);
  });
});
