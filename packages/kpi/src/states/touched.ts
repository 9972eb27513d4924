/**
 * Which entities a catch-up re-folds: derived from the state definitions, so a new event type or a new
 * state cannot be left out. Each state folded from events declares their types and the entity's id in an
 * `events_raw` row (`EntityState.events`); the typed tables key an entity by `cityHash64` of that id.
 */
import type { EntityState } from './definitions.js';

const TIME = "DateTime64(3, 'UTC')";
const quoted = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

/**
 * The SELECT of (fold, key) for every event stored after `{watermark}`: the state whose fold reads the
 * event, and the key of its entity. One scan of `events_raw`. Throws when two states claim one event type
 * (the scan names one state per event).
 */
export function touchedKeysSql(states: readonly EntityState[]): string {
  const folded = states.filter((s) => s.events);
  const owner = new Map<string, string>();
  for (const s of folded) {
    for (const type of s.events?.types ?? []) {
      const other = owner.get(type);
      if (other) throw new Error(`event type ${type} is folded by two states: ${other} and ${s.name}`);
      owner.set(type, s.name);
    }
  }
  const fold = folded
    .map((s) => {
      const types = s.events?.types ?? [];
      const when =
        types.length === 1
          ? `type = ${quoted(types[0] as string)}`
          : `type IN (${types.map(quoted).join(', ')})`;
      return `${when}, ${quoted(s.name)}`;
    })
    .join(',\n              ');
  const key = folded
    .map((s) => `fold = ${quoted(s.name)}, ${s.events?.id}`)
    .join(',\n                         ');
  return `
  SELECT DISTINCT fold, key FROM (
    SELECT
      multiIf(${fold}, '') AS fold,
      cityHash64(multiIf(${key}, '')) AS key
    FROM events_raw
    WHERE ingested_at > {watermark:${TIME}}
  )
  WHERE fold != ''`;
}
