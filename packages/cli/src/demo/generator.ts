import { Random } from './random.js';

/**
 * Synthetic but realistic history for several teams: defects, releases, deployments, incidents,
 * reviews, CAPAs and customer feedback. Two things are planted for the statistics to find:
 * - the first team improves its delivery process at 60 % of the history and says
 *   so with a `process.changed` event: change failure rate and lead time drop, deployments become
 *   more frequent (a new stage);
 * - the second team degrades without telling anyone in the last 12 weeks: defect arrivals double (a signal).
 */
export interface DemoOptions {
  weeks: number;
  teams: number;
  seed: number;
  /** The history ends here (exclusive); default: Monday 00:00 UTC of the current week. */
  end?: Date;
}

export interface DemoEvent {
  id: string;
  source: string;
  type: string;
  time: string;
  team: string;
  project?: string;
  data: Record<string, unknown>;
}

const TEAM_NAMES = ['payments', 'mobile', 'platform', 'data', 'web', 'search', 'billing', 'identity'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

export function teamNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => TEAM_NAMES[i] ?? `team-${i + 1}`);
}

export function demoEnd(now = new Date()): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const dow = (d.getUTCDay() + 6) % 7; // Monday = 0
  return new Date(d.getTime() - dow * DAY);
}

export function validateDemoOptions(o: DemoOptions): void {
  if (!Number.isInteger(o.weeks) || o.weeks < 4 || o.weeks > 520)
    throw new Error('--weeks must be an integer from 4 to 520');
  if (!Number.isInteger(o.teams) || o.teams < 1 || o.teams > 50)
    throw new Error('--teams must be an integer from 1 to 50');
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error('--seed must be a non-negative integer');
}

/** Generates the whole history, oldest week first. Deterministic for (weeks, teams, seed, end). */
export function* generateDemo(options: DemoOptions): Generator<DemoEvent> {
  validateDemoOptions(options);
  const end = (options.end ?? demoEnd()).getTime();
  const start = end - options.weeks * WEEK;
  const shiftWeek = Math.floor(options.weeks * 0.6);
  const names = teamNames(options.teams);
  for (const [t, team] of names.entries()) {
    const rnd = new Random((options.seed * 7919 + t * 104729) >>> 0);
    // Follow-ups scheduled past the end of the history (a resolution, a reopen) have not happened yet.
    for (const event of teamHistory({
      rnd,
      team,
      t,
      start,
      weeks: options.weeks,
      shiftWeek,
      seed: options.seed,
    })) {
      if (Date.parse(event.time) < end) yield event;
    }
  }
}

interface TeamContext {
  rnd: Random;
  team: string;
  t: number;
  start: number;
  weeks: number;
  shiftWeek: number;
  seed: number;
}

function* teamHistory(c: TeamContext): Generator<DemoEvent> {
  const { rnd, team } = c;
  const source = `demo/${team}`;
  const projects = [`${team}-api`, `${team}-ui`];
  let n = 0;
  const mk = (type: string, time: number, data: Record<string, unknown>, project?: string): DemoEvent => ({
    id: `s${c.seed}-${++n}`,
    source,
    type,
    time: new Date(time).toISOString(),
    team,
    ...(project ? { project } : {}),
    data,
  });
  const improver = c.t === 0;
  const degrader = c.t === 1;
  let releaseNo = 0;
  let currentRelease = `${team}-r0`;
  let defectNo = 0;
  let deployNo = 0;
  let incidentNo = 0;
  let changeNo = 0;

  for (let w = 0; w < c.weeks; w++) {
    const ws = c.start + w * WEEK;
    const at = () => ws + Math.floor(rnd.next() * WEEK);
    const improved = improver && w >= c.shiftWeek;
    if (improver && w === c.shiftWeek) {
      yield mk('process.changed', ws + HOUR, {
        changeId: `${team}-pc-1`,
        kpi: '*',
        description: 'Trunk-based development with automated canary analysis and smaller changes',
      });
    }

    // Releases every three weeks: committed at the start, sometimes re-planned, shipped with some slip.
    if (w % 3 === 0 && w + 3 <= c.weeks) {
      releaseNo++;
      const releaseId = `${team}-r${releaseNo}`;
      const plannedStart = ws;
      const plannedEnd = ws + 3 * WEEK - 2 * DAY;
      const plannedEffortHours = rnd.int(300, 500);
      yield mk('delivery.release.planned', ws + 2 * HOUR, {
        releaseId,
        plannedStart: iso(plannedStart),
        plannedEnd: iso(plannedEnd),
        plannedEffortHours,
      });
      const slipDays = rnd.normal(improved ? 0 : 1.5, 2.5);
      if (slipDays > 2 && rnd.chance(0.5)) {
        yield mk('delivery.release.planned', ws + WEEK, {
          releaseId,
          plannedEnd: iso(plannedEnd + Math.round(slipDays) * DAY),
        });
      }
      const shipped = Math.min(
        plannedEnd + Math.round(slipDays * 24) * HOUR,
        c.start + c.weeks * WEEK - HOUR,
      );
      yield mk(
        'delivery.release',
        shipped,
        {
          releaseId,
          plannedStart: iso(plannedStart),
          plannedEnd: iso(plannedEnd),
          actualStart: iso(plannedStart + rnd.int(0, 24) * HOUR),
          plannedEffortHours,
          actualEffortHours: Math.round(plannedEffortHours * rnd.lognormal(1.05, 0.12)),
          sizeDelivered: Math.round(rnd.lognormal(12, 0.3) * 10) / 10,
          sizeUnit: 'kloc',
        },
        projects[releaseNo % 2],
      );
      currentRelease = releaseId;
    }

    // Deployments (production and staging), with their changes.
    const failRate = improved ? 0.07 : 0.2 + 0.03 * (c.t % 3);
    const leadMedian = improved ? 10 : 30 + 6 * (c.t % 4);
    // Smaller changes, shipped behind canaries, go out far more often: after its change the improving
    // team deploys about 25 times a week. That also makes its weekly failure rate a chart on which a
    // run is evidence (n·p̄ ≥ 5 against the old limits), where 5 deployments a week at 20 % were not.
    const deployments = rnd.poisson(improved ? 25 : 5 + (c.t % 3) * 2);
    for (let d = 0; d < deployments; d++) {
      const time = at();
      const deploymentId = `${team}-dep-${++deployNo}`;
      const failed = rnd.chance(failRate);
      const status = rnd.chance(0.03)
        ? 'cancelled'
        : failed
          ? rnd.weighted([
              ['failed', 5],
              ['rolled_back', 3],
              ['success', 2],
            ] as const)
          : 'success';
      const changes = Array.from({ length: rnd.int(1, 3) }, () => ({
        changeId: `${team}-ch-${++changeNo}`,
        committedAt: iso(time - Math.max(0.2, rnd.lognormal(leadMedian, 0.7)) * HOUR),
      }));
      const project = rnd.pick(projects);
      if (rnd.chance(0.8)) {
        yield mk(
          'delivery.deployment',
          Math.max(ws, time - 6 * HOUR),
          { deploymentId: `${deploymentId}-stg`, environment: 'staging', status: 'success', changes },
          project,
        );
      }
      yield mk(
        'delivery.deployment',
        time,
        {
          deploymentId,
          environment: 'production',
          status,
          releaseId: currentRelease,
          changes,
          ...(failed && status === 'success' ? { changeFailure: true } : {}),
        },
        project,
      );
      if (failed && status !== 'cancelled' && rnd.chance(0.6)) {
        const incidentId = `${team}-inc-${++incidentNo}`;
        const opened = time + rnd.int(5, 120) * 60_000;
        yield mk(
          'delivery.incident.opened',
          opened,
          {
            incidentId,
            severity: rnd.pick(['critical', 'major', 'minor']),
            causedByDeploymentId: deploymentId,
          },
          project,
        );
        yield mk(
          'delivery.incident.resolved',
          opened + rnd.lognormal(improved ? 1.5 : 3, 0.9) * HOUR,
          { incidentId },
          project,
        );
      }
    }

    // Defects: arrivals, triage, resolution, the odd reopen. The second team silently degrades at the end.
    const defectRate = 6 + (c.t % 2) * 2 + (degrader && w >= c.weeks - 12 ? 7 : 0);
    for (let k = rnd.poisson(defectRate); k > 0; k--) {
      const defectId = `${team}-bug-${++defectNo}`;
      const time = at();
      const detectionActivity = rnd.weighted([
        ['requirements_review', 2],
        ['design_review', 3],
        ['code_review', 12],
        ['unit_test', 10],
        ['integration_test', 8],
        ['system_test', 8],
        ['acceptance_test', 4],
        ['production', 4],
        ['customer', 2],
      ] as const);
      const project = rnd.pick(projects);
      yield mk(
        'defect.reported',
        time,
        {
          defectId,
          severity: rnd.weighted([
            ['critical', 1],
            ['major', 4],
            ['minor', 8],
            ['trivial', 3],
          ] as const),
          detectionActivity,
          introducedPhase: rnd.weighted([
            ['requirements', 2],
            ['design', 3],
            ['code', 10],
            ['test', 1],
            ['unknown', 2],
          ] as const),
          reportedBy:
            detectionActivity === 'customer'
              ? 'customer'
              : detectionActivity === 'production'
                ? 'monitoring'
                : 'internal',
          component: rnd.pick(['api', 'ui', 'db', 'auth', 'jobs']),
          releaseFoundIn: currentRelease,
          rootCauseCategory: rnd.pick(['logic', 'interface', 'data', 'configuration', 'requirements']),
        },
        project,
      );
      const resolvedAt = time + rnd.lognormal(40, 1) * HOUR;
      if (resolvedAt < c.start + c.weeks * WEEK) {
        const resolution = rnd.weighted([
          ['fixed', 80],
          ['duplicate', 7],
          ['not_a_defect', 5],
          ['wont_fix', 4],
          ['cannot_reproduce', 4],
        ] as const);
        yield mk('defect.resolved', resolvedAt, { defectId, resolution }, project);
        if (resolution === 'fixed' && rnd.chance(0.05)) {
          // A reopened defect is worked on again and fixed like any other: never resolving it would
          // grow the backlog by every reopen, a steady trend in a history that is meant to be stable.
          const reopenedAt = resolvedAt + rnd.int(1, 10) * DAY;
          yield mk('defect.reopened', reopenedAt, { defectId }, project);
          const fixedAgain = reopenedAt + rnd.lognormal(40, 1) * HOUR;
          if (fixedAgain < c.start + c.weeks * WEEK) {
            yield mk('defect.resolved', fixedAgain, { defectId, resolution: 'fixed' }, project);
          }
        }
      }
    }

    // Reviews and inspections.
    for (let k = rnd.poisson(5); k > 0; k--) {
      const sizeReviewed = rnd.int(80, 600);
      const durationHours = Math.round((sizeReviewed / rnd.lognormal(300, 0.3)) * 100) / 100;
      yield mk('review.completed', at(), {
        reviewId: `${team}-rev-${w}-${k}`,
        workProductType: rnd.weighted([
          ['code', 8],
          ['design', 1],
          ['requirements', 1],
        ] as const),
        workProductId: `${team}-wp-${w}-${k}`,
        sizeReviewed,
        sizeUnit: 'loc',
        defectsFound: rnd.poisson(sizeReviewed / 120),
        preparationHours: Math.round(durationHours * 80) / 100,
        meetingHours: durationHours,
        reworkHours: Math.round(rnd.lognormal(1, 0.5) * 100) / 100,
        durationHours,
        participants: rnd.int(2, 4),
        outcome: rnd.weighted([
          ['approved', 6],
          ['changes_requested', 3],
          ['rejected', 1],
        ] as const),
      });
    }

    // Corrective actions.
    if (rnd.chance(0.3)) {
      const capaId = `${team}-capa-${w}`;
      const opened = at();
      const due = opened + 30 * DAY;
      yield mk('capa.opened', opened, {
        capaId,
        origin: rnd.pick(['escaped_defect', 'customer_complaint', 'audit_finding', 'process_deviation']),
        severity: 'major',
        recurrenceKey: rnd.pick(['logic/api', 'config/jobs', 'data/db']),
        dueAt: iso(due),
      });
      const closed = opened + rnd.lognormal(25, 0.4) * DAY;
      if (closed < c.start + c.weeks * WEEK) {
        yield mk('capa.closed', closed, {
          capaId,
          effectiveness: rnd.weighted([
            ['effective', 7],
            ['not_effective', 2],
            ['pending', 1],
          ] as const),
        });
      }
    }

    // Customer feedback.
    for (let k = rnd.poisson(8); k > 0; k--) {
      yield mk('feedback.survey', at(), {
        scale: 'csat_1_5',
        score: Math.min(5, Math.max(1, Math.round(rnd.normal(4, 0.9)))),
        customerId: `cust-${rnd.int(1, 400)}`,
      });
    }
    for (let k = rnd.poisson(4); k > 0; k--) {
      yield mk('feedback.survey', at(), {
        scale: 'nps_0_10',
        score: Math.min(10, Math.max(0, Math.round(rnd.normal(8, 1.8)))),
      });
    }
    if (rnd.chance(0.25)) {
      yield mk('feedback.complaint', at(), {
        complaintId: `${team}-cmp-${w}`,
        customerId: `cust-${rnd.int(1, 400)}`,
        severity: 'minor',
      });
    }
  }
}

function iso(ms: number): string {
  return new Date(Math.round(ms)).toISOString();
}
