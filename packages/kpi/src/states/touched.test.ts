import { EVENT_TYPE_NAMES } from '@shewhart/events';
import { describe, expect, it } from 'vitest';
import { ENTITY_STATES, type EntityState } from './definitions.js';
import { touchedKeysSql } from './touched.js';

/** Event types of the catalogue that no entity state folds, and why. */
const FOLDED_BY_NONE: Record<string, string> = {
  'process.changed': 'a baseline stage boundary, read from events_raw by the baselines',
};

/** The branch of the derived `multiIf` that sends `type` to a state: `type = 't', 'state'` or `type IN (…, 't', …), 'state'`. */
function foldOf(sql: string, type: string): string | undefined {
  for (const m of sql.matchAll(/type (?:= '([^']+)'|IN \(([^)]*)\)), '([a-z_]+)'/g)) {
    const types = m[1] ? [m[1]] : (m[2] ?? '').split(',').map((t) => t.trim().replace(/^'|'$/g, ''));
    if (types.includes(type)) return m[3];
  }
  return undefined;
}

describe('touched entities, derived from the state definitions', () => {
  const sql = touchedKeysSql(ENTITY_STATES);

  it('sends every event type of the catalogue that feeds a state to the one state that folds it', () => {
    for (const type of EVENT_TYPE_NAMES) {
      const folding = ENTITY_STATES.filter((s) => s.events?.types.includes(type));
      if (type in FOLDED_BY_NONE) {
        expect(folding, `${type} is listed as folded by no state`).toEqual([]);
        expect(foldOf(sql, type), type).toBeUndefined();
        continue;
      }
      expect(
        folding.map((s) => s.name),
        `${type}: declare it in the events of the state that folds it (or in FOLDED_BY_NONE, with why)`,
      ).toHaveLength(1);
      expect(foldOf(sql, type), type).toBe(folding[0]?.name);
    }
  });

  it("keys each folded state's entities by its declared id", () => {
    for (const s of ENTITY_STATES.filter((s) => s.events)) {
      expect(sql).toContain(`fold = '${s.name}', ${s.events?.id}`);
    }
    // The survey's entity is its event's (source, id): a duplicated raw row is one response.
    expect(sql).toContain("fold = 'survey', concat(source, '\\0', id)");
  });

  it('leaves no state untouched: one folded from other states is touched by statements of its own', () => {
    for (const s of ENTITY_STATES.filter((s) => !s.events)) {
      expect(s.from?.length, `${s.name} is folded from states`).toBeGreaterThan(0);
      expect(
        (s.touches ?? []).some((q) => q.includes(`'${s.name}'`)),
        `${s.name} adds its touched keys`,
      ).toBe(true);
    }
  });

  it('refuses an event type claimed by two states', () => {
    const [defect, release] = ENTITY_STATES as [EntityState, EntityState];
    const twice = { ...release, events: { types: ['defect.resolved' as const], id: 'id' } };
    expect(() => touchedKeysSql([defect, twice])).toThrow(
      'event type defect.resolved is folded by two states: defect and release',
    );
  });
});
