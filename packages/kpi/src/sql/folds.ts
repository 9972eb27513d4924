/**
 * The entities the KPI queries read: the live rows of the entity state tables (states/definitions.ts), where
 * each defect, release, deployment, incident, review, CAPA, survey response, complaint and change is one
 * row holding the fold of its events. Reading them instead of folding events at read time is what keeps a
 * query over millions of events fast; the fold definitions, and why they are exact under duplicates and
 * late events, are in states.ts.
 *
 * Every reader narrows by the query's team (the tables' leading sort key) and, with a grain, by the
 * entity's period key in [from, to + 1 period): a listed period starts in [from, to], so its entities' key
 * times lie there. The outer `SCOPE_FILTER` and period bounds of each KPI make both exact.
 */

import {
  CAPA,
  CHANGE,
  COMPLAINT,
  DEFECT,
  DEPLOYMENT,
  type EntityState,
  INCIDENT,
  live,
  RELEASE,
  RELEASE_QUALITY,
  REVIEW,
  REVIEW_YIELD,
  SURVEY,
  signed,
} from '../states/definitions.js';
import type { Grain } from './common.js';

const TEAM = '{team:Nullable(String)}';
const FROM = "{from:Nullable(DateTime64(3, 'UTC'))}";
const TO = "{to:Nullable(DateTime64(3, 'UTC'))}";
const UNIT: Record<Grain, string> = { day: 'DAY', week: 'WEEK', month: 'MONTH', quarter: 'QUARTER' };

/** Entities of the query's team (every entity when the query is org-wide). */
export const IN_TEAM = `(${TEAM} IS NULL OR team = ${TEAM})`;

/** Entities whose period key `column` lies in [from, to + 1 period) (every entity when unbounded). */
export function inRange(column: string, grain: Grain): string {
  return `(${FROM} IS NULL OR ${column} >= ${FROM}) AND (${TO} IS NULL OR ${column} < ${TO} + INTERVAL 1 ${UNIT[grain]})`;
}

/** The team's entities, and with a grain only those keyed by `column` in the query's range. */
const scoped = (state: EntityState, column: string, grain?: Grain) =>
  live(state, IN_TEAM, grain ? inRange(column, grain) : undefined);
const scopedSigned = (state: EntityState, column: string, grain?: Grain) =>
  signed(state, IN_TEAM, grain ? inRange(column, grain) : undefined);

/** Defects of the team keyed in range by `column` (`reported_at` or `resolved_at`), or matching `where`. */
export const defects = (where: string, prewhere?: string) => live(DEFECT, where, prewhere);
export const teamDefects = (column: 'reported_at' | 'resolved_at', grain?: Grain) =>
  scoped(DEFECT, column, grain);

/** Shipped releases of the team, by shipping time. */
export const releases = (grain?: Grain) => scoped(RELEASE, 'shipped_at', grain);

/** Shipped releases of the team with the defects charged to them (any team's), by shipping time. */
export const releaseQuality = (grain?: Grain) => scoped(RELEASE_QUALITY, 'shipped_at', grain);

/** Reviews of work products by the team with the defects found later, by completion time. */
export const reviewYield = (grain?: Grain) => scoped(REVIEW_YIELD, 'reviewed_at', grain);

/** Deployments of the team, by deployment time. */
export const deployments = (grain?: Grain) => scoped(DEPLOYMENT, 'deployed_at', grain);
/** The same, every row with its sign, for sign-weighted counts (see `signed`). */
export const signedDeployments = (grain?: Grain) => scopedSigned(DEPLOYMENT, 'deployed_at', grain);

/** Incidents of the team, by restoring (last resolution) time. */
export const incidents = (grain?: Grain) => scoped(INCIDENT, 'resolved_at', grain);

/** Changes shipped to production by the team, by first successful production deployment. */
export const changes = (grain?: Grain) => scoped(CHANGE, 'first_deployed_at', grain);

/** Reviews of the team, by completion time. */
export const reviews = (grain?: Grain) => scoped(REVIEW, 'reviewed_at', grain);

/** Corrective actions of the team (few enough that no range narrowing is needed). */
export const capas = () => live(CAPA, IN_TEAM);

/** Survey responses of the team, by answer time, every row with its sign (see `signed`). */
export const signedSurveys = (grain: Grain) => scopedSigned(SURVEY, 'answered_at', grain);

/** Complaints of the team, by receipt. */
export const complaints = (grain: Grain) => scoped(COMPLAINT, 'received_at', grain);
