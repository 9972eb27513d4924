import type { ClickHouseClient } from '@clickhouse/client';
import { describeKpi, InvalidKpiQueryError, KPIS, queryKpi, UnknownKpiError } from '@shewhart/kpi';
import type { FastifyInstance } from 'fastify';

/** `GET /v1/kpis` (catalogue) and `GET /v1/kpis/:id` (one series). */
export function registerKpiRoutes(app: FastifyInstance, client: ClickHouseClient): void {
  app.get('/v1/kpis', async () => ({ kpis: KPIS.map(describeKpi) }));

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>(
    '/v1/kpis/:id',
    async (request, reply) => {
      try {
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
}
