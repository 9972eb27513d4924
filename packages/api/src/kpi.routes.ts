import type { ClickHouseClient } from '@clickhouse/client';
import {
  describeKpi,
  InvalidKpiQueryError,
  KPIS,
  parseKpiQuery,
  queryKpi,
  UnknownKpiError,
} from '@shewhart/kpi';
import { OBJECTIVE_ATTAINMENT, type ObjectiveService } from '@shewhart/objectives';
import type { FastifyInstance } from 'fastify';

/** `GET /v1/kpis` (catalogue), `GET /v1/kpis/:id` (one series) and `GET /v1/objectives`. */
export function registerKpiRoutes(
  app: FastifyInstance,
  client: ClickHouseClient,
  objectives?: ObjectiveService,
): void {
  app.get('/v1/kpis', async () => ({ kpis: [...KPIS.map(describeKpi), OBJECTIVE_ATTAINMENT] }));

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/kpis/:id',
    async (request, reply) => {
      try {
        if (request.params.id === OBJECTIVE_ATTAINMENT.id) {
          const q = parseKpiQuery(request.query);
          if (!objectives) return { kpi: OBJECTIVE_ATTAINMENT.id, period: q.period, points: [] };
          return await objectives.attainmentFor(q);
        }
        return await queryKpi(client, request.params.id, request.query);
      } catch (error) {
        if (error instanceof UnknownKpiError)
          return reply.code(404).send({ error: 'not_found', message: error.message });
        if (error instanceof InvalidKpiQueryError) {
          return reply.code(400).send({ error: 'bad_request', message: error.message, issues: error.issues });
        }
        throw error;
      }
    },
  );

  app.get<{ Querystring: { from?: string; to?: string } }>('/v1/objectives', async (request, reply) => {
    try {
      const q = parseKpiQuery({ from: request.query.from, to: request.query.to });
      if (!objectives) return { configured: false, objectives: [] };
      const iso = (d: Date | undefined) => d?.toISOString().slice(0, 10);
      return { configured: true, objectives: await objectives.report({ from: iso(q.from), to: iso(q.to) }) };
    } catch (error) {
      if (error instanceof InvalidKpiQueryError) {
        return reply.code(400).send({ error: 'bad_request', message: error.message, issues: error.issues });
      }
      throw error;
    }
  });
}
