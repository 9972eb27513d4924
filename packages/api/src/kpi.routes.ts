import { kpiCatalogue, querySeries } from '@shewhart/objectives';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { type QueryContext, withinDeadline } from './context.js';
import { KpiParams, ObjectivesQuery, SeriesQuery } from './schemas.js';

/** `GET /v1/kpis` (catalogue), `GET /v1/kpis/:id` (one series) and `GET /v1/objectives`. */
export function registerKpiRoutes(app: FastifyInstance, ctx: QueryContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/kpis',
    { config: { access: 'read' }, schema: { summary: 'The KPI catalogue', tags: ['kpis'] } },
    async () => ({ kpis: kpiCatalogue() }),
  );

  r.get(
    '/v1/kpis/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One KPI series per period, with numerator, denominator and n',
        tags: ['kpis'],
        params: KpiParams,
        querystring: SeriesQuery.omit({ format: true }),
      },
    },
    async (request) =>
      withinDeadline(
        ctx.requestTimeoutMs,
        () => querySeries(ctx.states, ctx.objectives, request.params.id, request.query),
        { catchUp: ctx.states },
      ),
  );

  r.get(
    '/v1/objectives',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Quality objectives and their status per period',
        tags: ['objectives'],
        querystring: ObjectivesQuery,
      },
    },
    async (request) =>
      withinDeadline(
        ctx.requestTimeoutMs,
        async () => {
          if (!ctx.objectives) return { configured: false, objectives: [] };
          return { configured: true, objectives: await ctx.objectives.report(request.query) };
        },
        { catchUp: ctx.objectives ? ctx.states : undefined },
      ),
  );
}
