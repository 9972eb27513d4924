import {
  addCause,
  causes,
  knownKpi,
  kpiChartOf,
  listBaselines,
  listSignals,
  rebase,
  refreshAll,
  renderKpiChartSvg,
  seriesKeyOf,
} from '@shewhart/baselines';
import { assertKnownScope, findKpi, parseKpiQuery, UnknownKpiError } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decideWithin, type QueryContext, singleFlight, withinDeadline } from './context.js';
import {
  BaselinesQuery,
  CauseBody,
  KpiParams,
  KpiPathParams,
  RebaseBody,
  RefreshBody,
  SeriesQuery,
  SeriesSelector,
  SignalsQuery,
} from './schemas.js';

/** The objective (and its spec limits) that applies to a chart, when objectives are configured. */
function objectiveFor(
  service: ObjectiveService | undefined,
  query: { kpi: string; team?: string; project?: string; period: string },
) {
  const o = service?.find(query);
  return o ? { spec: o.spec, document: o } : undefined;
}

/** Charts, baselines, decisions and signals (process performance baselines, CMMI OPP/QPM). */
export function registerBaselineRoutes(app: FastifyInstance, ctx: QueryContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { states } = ctx;
  // One flight per set of grains (a month refresh does not wait behind a week one to answer for it).
  const flights = new Map<string, ReturnType<typeof singleFlight<Awaited<ReturnType<typeof refreshAll>>>>>();

  r.get(
    '/v1/kpis/:id/chart',
    {
      config: { access: 'read' },
      schema: {
        summary: 'A KPI series on its control chart: stages, limits, signals, objective (JSON or SVG)',
        tags: ['baselines'],
        params: KpiParams,
        querystring: SeriesQuery,
      },
    },
    async (request, reply) =>
      withinDeadline(
        ctx.requestTimeoutMs,
        async () => {
          const kpi = findKpi(request.params.id);
          if (!kpi)
            throw new UnknownKpiError(`unknown KPI: ${request.params.id} (GET /v1/kpis lists the catalogue)`);
          const { format, ...query } = request.query;
          const q = parseKpiQuery(query, kpi);
          await assertKnownScope(states, q);
          const objective = objectiveFor(ctx.objectives, {
            kpi: kpi.id,
            team: q.team,
            project: q.project,
            period: q.period,
          });
          const doc = await kpiChartOf(states, kpi, q, {
            spec: objective?.spec,
            objective: objective?.document,
          });
          if (format === 'svg')
            return reply.type('image/svg+xml; charset=utf-8').send(renderKpiChartSvg(doc));
          return doc;
        },
        { catchUp: states },
      ),
  );

  r.get(
    '/v1/baselines',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The latest baseline version of every stored series',
        tags: ['baselines'],
        querystring: BaselinesQuery,
      },
    },
    async (request) =>
      withinDeadline(ctx.requestTimeoutMs, async () => ({
        baselines: await listBaselines(states.client, request.query),
      })),
  );

  r.get(
    '/v1/signals',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Stored special-cause signals, newest point first',
        tags: ['baselines'],
        querystring: SignalsQuery,
      },
    },
    async (request) =>
      withinDeadline(ctx.requestTimeoutMs, async () => ({
        signals: await listSignals(states.client, request.query),
      })),
  );

  r.post(
    '/v1/baselines/refresh',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Refresh every default series now: new provisional baselines and signals are stored',
        tags: ['baselines'],
        body: RefreshBody,
      },
    },
    async (request, reply) => {
      const grains = [...new Set(request.body.grains)].sort();
      const flight = flights.get(grains.join()) ?? singleFlight();
      flights.set(grains.join(), flight);
      const result = await flight(ctx.requestTimeoutMs, () => refreshAll(states, { grains }));
      if ('status' in result) return reply.code(202).send(result);
      return { ...result, failed: result.failed.map((f) => ({ series: f.key, error: f.error })) };
    },
  );

  r.post(
    '/v1/baselines/:kpi/rebase',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Re-establish a baseline by a recorded decision (a new stage)',
        tags: ['baselines'],
        params: KpiPathParams,
        body: RebaseBody,
      },
    },
    async (request, reply) => {
      const kpi = knownKpi(request.params.kpi);
      const body = request.body;
      await withinDeadline(ctx.requestTimeoutMs, () => assertKnownScope(states, body));
      const key = seriesKeyOf(kpi, body);
      return reply
        .code(201)
        .send(await decideWithin(ctx.requestTimeoutMs, states, () => rebase(states, key, body)));
    },
  );

  r.post(
    '/v1/baselines/:kpi/causes',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Record an assignable cause against one point (Phase-I cleaning)',
        tags: ['baselines'],
        params: KpiPathParams,
        body: CauseBody,
      },
    },
    async (request, reply) => {
      const kpi = knownKpi(request.params.kpi);
      const body = request.body;
      await withinDeadline(ctx.requestTimeoutMs, () => assertKnownScope(states, body));
      const key = seriesKeyOf(kpi, body);
      const input = { ...body, date: body.periodStart };
      return reply
        .code(201)
        .send(await decideWithin(ctx.requestTimeoutMs, states, () => addCause(states, key, input)));
    },
  );

  r.get(
    '/v1/baselines/:kpi/causes',
    {
      config: { access: 'read' },
      schema: {
        summary: 'The assignable causes recorded against a series',
        tags: ['baselines'],
        params: KpiPathParams,
        querystring: z.object(SeriesSelector),
      },
    },
    async (request) =>
      withinDeadline(ctx.requestTimeoutMs, async () => {
        const kpi = knownKpi(request.params.kpi);
        await assertKnownScope(states, request.query);
        return { causes: await causes(states.client, seriesKeyOf(kpi, request.query)) };
      }),
  );
}
