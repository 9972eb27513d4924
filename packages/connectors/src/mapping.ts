import type { ShewhartEventInput } from '@shewhart/events';

/**
 * What a mapping makes of one tool payload: contract events (none is possible: a fact that changes
 * nothing we measure), or `ignored` with the reason, which the webhook answers with 202 and counts.
 * Mappings are pure: the same payload and configuration always give the same events, ids included.
 */
export type Mapped =
  | { events: ShewhartEventInput[]; unmapped?: string }
  | { ignored: string; unmapped?: string };

export const ignored = (reason: string): Mapped => ({ ignored: reason });

/** The team and project a source belongs to; `mapped: false` when it fell to the default team. */
export interface Scope {
  team: string;
  project?: string;
  mapped: boolean;
}

/** Scope of `key` in a `{ key: { team, project } }` table, or the default team. */
export function scopeOf(
  table: Record<string, { team: string; project?: string }>,
  key: string,
  defaultTeam: string,
): Scope {
  const hit = table[key] ?? table[key.toLowerCase()];
  if (hit) return { team: hit.team, ...(hit.project ? { project: hit.project } : {}), mapped: true };
  // GitHub and GitLab names are case-insensitive: match a differently-cased key too.
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(table)) {
    if (k.toLowerCase() === lower)
      return { team: v.team, ...(v.project ? { project: v.project } : {}), mapped: true };
  }
  return { team: defaultTeam, mapped: false };
}

/** The envelope fields of a mapped event: source, scope and id in one place. */
export function envelope(source: string, scope: Scope, id: string, time: string) {
  return {
    specversion: '1.0' as const,
    id: id.length <= 128 ? id : shorten(id),
    source: source.slice(0, 256),
    time,
    team: scope.team,
    ...(scope.project ? { project: scope.project } : {}),
  };
}

/** Ids longer than the contract allows keep a readable head and a digest of the whole (still deterministic). */
function shorten(id: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return `${id.slice(0, 110)}~${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}

/**
 * Timestamps as the tools write them, as RFC 3339 in UTC: GitHub's `2024-03-05T10:00:00Z`, Jira's
 * `2024-03-05T10:12:33.123+0100` (offset without a colon), GitLab's `2024-03-05 10:12:33 UTC` and
 * `2024-03-05 10:12:33 +0100`. Undefined for anything else (no guessing at local times).
 */
export function timestamp(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})$/i.exec(
    value.trim(),
  );
  if (!m) return undefined;
  const [, date, time, zone] = m as unknown as [string, string, string, string];
  const offset = /^(Z|UTC)$/i.test(zone)
    ? 'Z'
    : zone.includes(':')
      ? zone
      : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const d = new Date(`${date}T${time.length === 5 ? `${time}:00` : time}${offset}`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A date alone (`2024-03-31`, a milestone's due date) as the end of that day in UTC. */
export function endOfDay(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T23:59:59.000Z`;
  return timestamp(value);
}

/** Hours from `a` to `b` (RFC 3339), never negative (clocks of different systems disagree a little). */
export function hoursBetween(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b) return undefined;
  const ms = Date.parse(b) - Date.parse(a);
  if (!Number.isFinite(ms)) return undefined;
  return Math.max(0, Math.round((ms / 3_600_000) * 1000) / 1000);
}

/**
 * A glob of environment names: `*` any run of characters, `?` one character, case-insensitive
 * (`prod-*` matches `prod-eu`, `PROD-us`).
 */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;

export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined;
