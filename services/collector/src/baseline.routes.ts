import type { ClickHouseClient } from '@clickhouse/client';
import {
  causes,
  kpiChart,
  listBaselines,
  listSignals,
  periodStartOf,
  recordCause,
  recordDecision,
  refreshSeries,
  type SeriesKey,
  ymd,
} from '@shewhart/baselines';
import { findKpi, InvalidKpiQueryError, parseKpiQuery, UnknownKpiError } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';

/** Resolves the objective (and its spec limits) that applies to a chart, when objectives are configured. */
export type ObjectiveLookup = (query: {
  kpi: string;
  team?: string;
  project?: string;
  period: string;
}) => { spec?: { lsl?: number; usl?: number; target?: number }; document: unknown } | undefined;

export function objectiveLookup(service: ObjectiveService | undefined): ObjectiveLookup | undefined {
  if (!service) return undefined;
  return (query) => {
    const o = service.find(query);
    return o ? { spec: o.spec, document: o } : undefined;
  };
}

const RebaseBody = z.object({
  reason: z.string().trim().min(3, 'a recorded decision needs a reason'),
  period: z.enum(['day', 'week', 'month', 'quarter']).default('week'),
  team: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  from: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional(),
  decidedBy: z.string().min(1).max(200).default('api'),
  unit: z.string().optional(),
  phase: z.string().optional(),
});

/** Charts, baselines, decisions and signals (issue: process performance baselines). */
export function registerBaselineRoutes(
  app: FastifyInstance,
  client: ClickHouseClient,
  objectives?: ObjectiveLookup,
): void {
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/kpis/:id/chart',
    async (request, reply) =>
      handle(reply, async () => {
        const kpi = findKpi(request.params.id);
        if (!kpi) throw new UnknownKpiError(`unknown KPI: ${request.params.id}`);
        const q = parseKpiQuery(request.query, kpi);
        const objective = objectives?.({ kpi: kpi.id, team: q.team, project: q.project, period: q.period });
        return kpiChart(client, kpi.id, request.query, {
          spec: objective?.spec,
          objective: objective?.document,
        });
      }),
  );

  app.get<{ Querystring: { kpi?: string; team?: string } }>('/v1/baselines', async (request) => ({
    baselines: await listBaselines(client, { kpi: request.query.kpi, team: request.query.team }),
  }));

  app.get<{ Querystring: { kpi?: string; team?: string; since?: string } }>(
    '/v1/signals',
    async (request, reply) =>
      handle(reply, async () => {
        const since = request.query.since;
        if (since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(since)) {
          throw new InvalidKpiQueryError([{ path: 'since', message: 'must be YYYY-MM-DD' }]);
        }
        return { signals: await listSignals(client, request.query) };
      }),
  );

  app.post<{ Params: { kpi: string }; Body: unknown }>('/v1/baselines/:kpi/rebase', async (request, reply) =>
    handle(reply, async () => {
      const kpi = findKpi(request.params.kpi);
      if (!kpi) throw new UnknownKpiError(`unknown KPI: ${request.params.kpi}`);
      const body = parseBody(RebaseBody, request.body);
      const key = seriesKeyOf(kpi, body);
      const before = await refreshSeries(client, key);
      const current = before.evaluation.stages.at(-1)?.from;
      const from = body.from ? ymd(periodStartOf(new Date(`${body.from}T00:00:00Z`), key.grain)) : current;
      if (!from)
        throw new InvalidKpiQueryError([
          { path: 'from', message: 'the series has no data yet; give the period to start from' },
        ]);
      const decision = await recordDecision(client, key, {
        effectiveFrom: from,
        reason: body.reason,
        decidedBy: body.decidedBy,
      });
      const after = await refreshSeries(client, key);
      return reply.code(201).send({
        decision,
        stages: after.evaluation.stages.map((s) => ({
          from: s.from,
          to: s.to,
          status: s.status,
          center: s.center,
          ucl: s.ucl,
          lcl: s.lcl,
          baselineId: after.baselineIds.get(s.from) ?? null,
        })),
      });
    }),
  );

  app.post<{ Params: { kpi: string }; Body: unknown }>('/v1/baselines/:kpi/causes', async (request, reply) =>
    handle(reply, async () => {
      const kpi = findKpi(request.params.kpi);
      if (!kpi) throw new UnknownKpiError(`unknown KPI: ${request.params.kpi}`);
      const body = parseBody(CauseBody, request.body);
      const key = seriesKeyOf(kpi, body);
      const periodStart = ymd(periodStartOf(new Date(`${body.periodStart}T00:00:00Z`), key.grain));
      const cause = await recordCause(client, key, { ...body, periodStart });
      const after = await refreshSeries(client, key);
      const stage = after.evaluation.stages.find(
        (s) => s.from <= periodStart && (s.to === null || periodStart <= s.to),
      );
      return reply.code(201).send({
        cause,
        // Whether the point left its stage's baseline (only a flagged Phase-I point of a baseline that is
        // not yet frozen does; a frozen one changes only through a recorded rebase decision).
        excluded: stage?.fit?.excluded.includes(periodStart) ?? false,
        stage: stage
          ? { from: stage.from, status: stage.status, center: stage.center, frozen: Boolean(stage.frozen) }
          : null,
      });
    }),
  );

  app.get<{ Params: { kpi: string }; Querystring: Record<string, string> }>(
    '/v1/baselines/:kpi/causes',
    async (request, reply) =>
      handle(reply, async () => {
        const kpi = findKpi(request.params.kpi);
        if (!kpi) throw new UnknownKpiError(`unknown KPI: ${request.params.kpi}`);
        const sel = parseBody(z.object(SeriesSelector), request.query);
        return { causes: await causes(client, seriesKeyOf(kpi, sel)) };
      }),
  );
}

const SeriesSelector = {
  period: z.enum(['day', 'week', 'month', 'quarter']).default('week'),
  team: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  unit: z.string().optional(),
  phase: z.string().optional(),
};

const CauseBody = z.object({
  ...SeriesSelector,
  periodStart: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD (the start of the period)'),
  causeCode: z.string().trim().min(1, 'is required (the cause code)'),
  reference: z.string().trim().min(1, 'is required (the NC/CAR that found the cause)'),
  note: z.string().max(2000).optional(),
  recordedBy: z.string().min(1).max(200).default('api'),
});

function seriesKeyOf(
  kpi: NonNullable<ReturnType<typeof findKpi>>,
  sel: { period: string; team?: string; project?: string; unit?: string; phase?: string },
): SeriesKey {
  const q = parseKpiQuery(
    { period: sel.period, team: sel.team, project: sel.project, unit: sel.unit, phase: sel.phase },
    kpi,
  );
  return {
    kpi: kpi.id,
    team: q.team ?? '',
    project: q.project ?? '',
    dim: q.dimension ?? '',
    grain: q.period,
  };
}

/** The collector reads JSON bodies as text (see app.ts): parse and validate one here. */
function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  let raw: unknown = body ?? {};
  if (typeof raw === 'string') {
    try {
      raw = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      throw new InvalidKpiQueryError([{ path: '', message: 'body is not valid JSON' }]);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidKpiQueryError(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

async function handle<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof UnknownKpiError)
      return reply.code(404).send({ error: 'not_found', message: error.message });
    if (error instanceof InvalidKpiQueryError) {
      return reply.code(400).send({ error: 'bad_request', message: error.message, issues: error.issues });
    }
    throw error;
  }
}
