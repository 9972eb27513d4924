import type { ClickHouseClient } from '@clickhouse/client';
import {
  addCause,
  causes,
  knownKpi,
  kpiChart,
  listBaselines,
  listSignals,
  rebase,
  seriesKeyOf,
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

const SeriesSelector = {
  period: z.enum(['day', 'week', 'month', 'quarter']).default('week'),
  team: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
  unit: z.string().optional(),
  phase: z.string().optional(),
};

const RebaseBody = z.object({
  ...SeriesSelector,
  reason: z.string().trim().min(3, 'a recorded decision needs a reason'),
  from: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional(),
  decidedBy: z.string().min(1).max(200).default('api'),
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
      const kpi = knownKpi(request.params.kpi);
      const body = parseBody(RebaseBody, request.body);
      return reply.code(201).send(await rebase(client, seriesKeyOf(kpi, body), body));
    }),
  );

  app.post<{ Params: { kpi: string }; Body: unknown }>('/v1/baselines/:kpi/causes', async (request, reply) =>
    handle(reply, async () => {
      const kpi = knownKpi(request.params.kpi);
      const body = parseBody(CauseBody, request.body);
      return reply
        .code(201)
        .send(await addCause(client, seriesKeyOf(kpi, body), { ...body, date: body.periodStart }));
    }),
  );

  app.get<{ Params: { kpi: string }; Querystring: Record<string, string> }>(
    '/v1/baselines/:kpi/causes',
    async (request, reply) =>
      handle(reply, async () => {
        const kpi = knownKpi(request.params.kpi);
        const sel = parseBody(z.object(SeriesSelector), request.query);
        return { causes: await causes(client, seriesKeyOf(kpi, sel)) };
      }),
  );
}

const CauseBody = z.object({
  ...SeriesSelector,
  periodStart: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD (the start of the period)'),
  causeCode: z.string().trim().min(1, 'is required (the cause code)'),
  reference: z.string().trim().min(1, 'is required (the NC/CAR that found the cause)'),
  note: z.string().max(2000).optional(),
  recordedBy: z.string().min(1).max(200).default('api'),
});

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
