import { ENTITY_STATES, type EntityState, type EntityStates, live } from '@shewhart/kpi';
import type { Quarter } from './quarter.js';

/**
 * The pack's own reads beside the KPI catalogue: counts a review needs that are not a KPI series (CAPA
 * flow and age, the root-cause Pareto, event counts). Each reads the entity states (after a catch-up,
 * like every KPI query) or events_raw, with every value bound as a parameter.
 */

const state = (name: string): EntityState => {
  const s = ENTITY_STATES.find((x) => x.name === name);
  if (!s) throw new Error(`no entity state named ${name}`);
  return s;
};

const T = "DateTime64(3, 'UTC')";
const TEAM = '({team:Nullable(String)} IS NULL OR team = {team:Nullable(String)})';

function params(q: Quarter, team: string | null) {
  const ch = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  return { from: ch(q.start), end: ch(q.end), team };
}

async function rows<R>(
  states: EntityStates,
  query: string,
  query_params: Record<string, unknown>,
): Promise<R[]> {
  await states.catchUp();
  return states.reading(async () => {
    const rs = await states.client.query({ query, query_params, format: 'JSONEachRow' });
    return rs.json<R>();
  });
}

export interface CapaFlow {
  opened: number;
  closed: number;
  openAtEnd: number;
  overdueAtEnd: number;
  age: { '0-30': number; '31-60': number; '61-90': number; '>90': number };
}

/** CAPAs opened and closed in the quarter, and those open at its end by age (docs/methods.md §2.6). */
export async function capaFlow(states: EntityStates, q: Quarter, team: string | null): Promise<CapaFlow> {
  const [r] = await rows<Record<string, string | number>>(
    states,
    `SELECT
       countIf(opened_at >= {from:${T}} AND opened_at < {end:${T}}) AS opened,
       countIf(is_closed AND closed_at >= {from:${T}} AND closed_at < {end:${T}}) AS closed,
       countIf(opened_at < {end:${T}} AND NOT (is_closed AND closed_at < {end:${T}})) AS open_at_end,
       countIf(opened_at < {end:${T}} AND NOT (is_closed AND closed_at < {end:${T}})
               AND due_at IS NOT NULL AND due_at < {end:${T}}) AS overdue_at_end,
       countIf(${openAge('<= 30')}) AS a30,
       countIf(${openAge('> 30')} AND ${openAge('<= 60')}) AS a60,
       countIf(${openAge('> 60')} AND ${openAge('<= 90')}) AS a90,
       countIf(${openAge('> 90')}) AS a91
     FROM (${live(state('capa'))}) WHERE ${TEAM}`,
    params(q, team),
  );
  const n = (k: string) => Number(r?.[k] ?? 0);
  return {
    opened: n('opened'),
    closed: n('closed'),
    openAtEnd: n('open_at_end'),
    overdueAtEnd: n('overdue_at_end'),
    age: { '0-30': n('a30'), '31-60': n('a60'), '61-90': n('a90'), '>90': n('a91') },
  };
}

function openAge(cmp: string): string {
  return `(opened_at < {end:${T}} AND NOT (is_closed AND closed_at < {end:${T}})
           AND dateDiff('millisecond', opened_at, {end:${T}}) / 86400000.0 ${cmp})`;
}

/** CAPAs opened in the quarter by origin (escaped defect, complaint, audit finding, supplier, …). */
export async function capaOrigins(
  states: EntityStates,
  q: Quarter,
  team: string | null,
): Promise<{ origin: string; opened: number }[]> {
  const r = await rows<{ origin: string; opened: string | number }>(
    states,
    `SELECT ifNull(origin, '(none)') AS origin, uniqExact(entity_id) AS opened
     FROM quality_events
     WHERE kind = 'capa' AND type = 'capa.opened' AND time >= {from:${T}} AND time < {end:${T}} AND ${TEAM}
     GROUP BY origin ORDER BY opened DESC, origin`,
    params(q, team),
  );
  return r.map((x) => ({ origin: x.origin, opened: Number(x.opened) }));
}

/**
 * The root-cause Pareto (CMMI CAR): the valid defects reported in the quarter by their latest recorded
 * root-cause category (from `defect.reported` / `defect.resolved`), most frequent first.
 */
export async function rootCausePareto(
  states: EntityStates,
  q: Quarter,
  team: string | null,
): Promise<{ cause: string; defects: number }[]> {
  const r = await rows<{ cause: string; defects: string | number }>(
    states,
    `WITH causes AS (
       SELECT JSONExtractString(data, 'defectId') AS defect_id,
              argMax(JSONExtractString(data, 'rootCauseCategory'), (time, id)) AS cause
       FROM events_raw
       WHERE type IN ('defect.reported', 'defect.resolved') AND JSONExtractString(data, 'rootCauseCategory') != ''
         AND time < {end:${T}} AND ${TEAM}
       GROUP BY defect_id)
     SELECT if(c.cause = '', '(not recorded)', c.cause) AS cause, count() AS defects
     FROM (${live(state('defect'), `is_valid AND ${TEAM}`, `reported_at >= {from:${T}} AND reported_at < {end:${T}}`)}) AS d
     LEFT JOIN causes AS c ON c.defect_id = d.defect_id
     GROUP BY cause ORDER BY defects DESC, cause`,
    params(q, team),
  );
  return r.map((x) => ({ cause: x.cause, defects: Number(x.defects) }));
}

/** Events stored by type: in total up to the quarter's end, and inside the quarter (provenance). */
export async function eventCounts(
  states: EntityStates,
  q: Quarter,
  team: string | null,
): Promise<{
  counts: { type: string; total: number; inQuarter: number }[];
  first: string | null;
  last: string | null;
}> {
  const r = await rows<{ type: string; total: string; in_quarter: string; first: string; last: string }>(
    states,
    `SELECT type, count() AS total, countIf(time >= {from:${T}}) AS in_quarter,
            toString(min(time)) AS first, toString(max(time)) AS last
     FROM events_raw WHERE time < {end:${T}} AND ${TEAM}
     GROUP BY type ORDER BY type`,
    params(q, team),
  );
  const iso = (s: string) => `${s.replace(' ', 'T')}Z`;
  const firsts = r.map((x) => x.first).sort();
  const lasts = r.map((x) => x.last).sort();
  return {
    counts: r.map((x) => ({ type: x.type, total: Number(x.total), inQuarter: Number(x.in_quarter) })),
    first: firsts[0] ? iso(firsts[0]) : null,
    last: lasts.at(-1) ? iso(lasts.at(-1) as string) : null,
  };
}

/** Recorded process changes up to the quarter's end (a team pack: the team's and organisation-wide ones). */
export async function processChanges(
  states: EntityStates,
  q: Quarter,
  team: string | null,
): Promise<
  { changeId: string; kpi: string; team: string; project: string; description: string; time: Date }[]
> {
  const r = await rows<{
    change_id: string;
    kpi: string;
    team: string;
    project: string;
    description: string;
    t: string;
  }>(
    states,
    `SELECT JSONExtractString(data, 'changeId') AS change_id, JSONExtractString(data, 'kpi') AS kpi, team, project,
            any(JSONExtractString(data, 'description')) AS description, toString(min(time)) AS t
     FROM events_raw
     WHERE type = 'process.changed' AND time < {end:${T}}
       AND ({team:Nullable(String)} IS NULL OR team IN ({team:Nullable(String)}, 'default'))
     GROUP BY change_id, kpi, team, project ORDER BY t, change_id, kpi`,
    params(q, team),
  );
  return r.map((x) => ({
    changeId: x.change_id,
    kpi: x.kpi,
    team: x.team,
    project: x.project,
    description: x.description,
    time: new Date(`${x.t.replace(' ', 'T')}Z`),
  }));
}
