import { GRAINS } from '@shewhart/kpi';
import { z } from 'zod';

/**
 * Request schemas shared by the routes. They validate the request (400 naming the field) and are the
 * source of the OpenAPI document (`/openapi.json`), so the two never disagree.
 */

/**
 * Whether `s` holds a control character (C0, DEL, C1; `allowed` may name some, e.g. tab and newline in
 * free text) or an unpaired UTF-16 surrogate, which no JSON encoder can write as UTF-8.
 */
export function isUnclean(s: string, allowed = ''): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 || (c >= 0x7f && c <= 0x9f)) && !allowed.includes(s[i] as string)) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** A team, project or person's name as a query or body field. */
export const Label = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => !isUnclean(s), 'must not contain control characters or unpaired surrogates');

/** Free text (a reason, a note). */
export const Text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !isUnclean(s, '\t\n\r'), 'must not contain control characters or unpaired surrogates');

export const GrainSchema = z.enum(GRAINS);

/** A calendar date `YYYY-MM-DD` that exists (2026-02-30 does not) within what ClickHouse stores. */
export const DateOnly = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine((s) => {
    // A string that is not YYYY-MM-DD at all already failed the regex (zod runs every check).
    const t = Date.parse(`${s}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
  }, 'is not a calendar date')
  .refine((s) => s >= '1970-01-01' && s <= '2149-06-06', 'must be between 1970-01-01 and 2149-06-06');

/**
 * A KPI range bound or evaluation instant: a calendar date, or an RFC 3339 timestamp with offset, within
 * the same range. Outside it the engine would clamp it silently (an empty series, or one for another
 * instant), so it is refused here with the field named.
 */
const Instant = z
  .string()
  .max(40)
  .refine((s) => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return DateOnly.safeParse(s).success;
    if (!z.iso.datetime({ offset: true }).safeParse(s).success) return false;
    const t = Date.parse(s);
    return t >= Date.parse('1970-01-01T00:00:00Z') && t < Date.parse('2149-06-07T00:00:00Z');
  }, 'must be YYYY-MM-DD or an RFC 3339 timestamp with offset, between 1970-01-01 and 2149-06-06');

export const KpiId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'is not a KPI id (GET /v1/kpis lists them)')
  .describe('a KPI id of the catalogue');

export const KpiParams = z.object({ id: KpiId });
export const KpiPathParams = z.object({ kpi: KpiId });

/** The series selector of `GET /v1/kpis/:id` and the chart (KPI-specific values are checked per KPI). */
export const SeriesQuery = z.object({
  period: GrainSchema.default('week'),
  from: Instant.optional().describe('first period start: YYYY-MM-DD or RFC 3339'),
  to: Instant.optional().describe('last period start: YYYY-MM-DD or RFC 3339'),
  team: Label.optional(),
  project: Label.optional().describe('a project of the team (needs team)'),
  asOf: Instant.optional().describe('evaluate as of this instant (open periods, provisional windows)'),
  unit: z.string().max(32).optional().describe('size unit, for KPIs with one series per unit'),
  phase: z.string().max(32).optional().describe('introduced phase, for phase_containment'),
  format: z.enum(['json', 'svg']).optional().describe('chart only: json (default) or an SVG picture'),
});

export const SeriesSelector = {
  period: GrainSchema.default('week'),
  team: Label.optional(),
  project: Label.optional(),
  unit: z.string().max(32).optional(),
  phase: z.string().max(32).optional(),
};

export const RebaseBody = z.object({
  ...SeriesSelector,
  reason: Text(2000).pipe(z.string().trim().min(3, 'a recorded decision needs a reason')),
  from: DateOnly.optional(),
  decidedBy: Label.default('api'),
});

export const CauseBody = z.object({
  ...SeriesSelector,
  periodStart: DateOnly.describe('the start of the period the cause explains'),
  causeCode: Text(64).pipe(z.string().trim().min(1, 'is required (the cause code)')),
  reference: Text(200).pipe(z.string().trim().min(1, 'is required (the NC/CAR that found the cause)')),
  note: Text(2000).optional(),
  recordedBy: Label.default('api'),
});

export const SignalsQuery = z.object({
  kpi: KpiId.optional(),
  team: Label.optional(),
  since: DateOnly.optional().describe('signals on periods starting on or after this date'),
});

export const BaselinesQuery = z.object({ kpi: KpiId.optional(), team: Label.optional() });

export const ObjectivesQuery = z.object({ from: DateOnly.optional(), to: DateOnly.optional() });

export const RefreshBody = z
  .object({ grains: z.array(GrainSchema).min(1).max(4).default(['week']) })
  .default({ grains: ['week'] });
