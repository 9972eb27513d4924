import { listAlerts, listDeliveries, recordAck, retryDeliveries } from '@shewhart/alerts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type QueryContext, withinDeadline } from './context.js';
import { ApiError } from './errors.js';
import { KpiId, Label, Text } from './schemas.js';

const AlertsQuery = z.object({
  state: z.enum(['firing', 'resolved']).optional(),
  class: z.enum(['signal', 'objective', 'data_quality']).optional(),
  kpi: KpiId.optional(),
  team: Label.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});

const AlertParams = z.object({
  id: z.string().regex(/^[0-9a-f]{24}$/, 'is not an alert id (GET /v1/alerts lists them)'),
});

const AckBody = z.object({
  by: Label.describe('who acknowledges'),
  note: Text(2000).pipe(z.string().trim().min(1, 'an acknowledgement needs a note')),
});

const DeliveriesQuery = z.object({
  state: z.enum(['pending', 'delivered', 'failed', 'cancelled']).optional(),
  alertId: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});

const DeliveryParams = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/, 'is not a delivery id (GET /v1/alerts/deliveries lists them)'),
});

// Optional: `curl -X POST …/retry` with no body at all (Fastify hands the schema null) re-sends too.
const RetryBody = z
  .object({ by: Label.describe('who asks for the re-send (kept with it)').optional() })
  .nullish();

/** What a re-send answers: the deliveries now pending, and where they went. */
function retried(r: Awaited<ReturnType<typeof retryDeliveries>>) {
  const n = r.retried.length;
  const what = n === 1 ? '1 failed delivery' : `${n} failed deliveries`;
  return {
    retried: r.retried,
    queue: r.queue,
    message:
      n === 0
        ? 'no failed deliveries'
        : r.queue
          ? `${what} re-sent under the same delivery id (${r.queue}); GET /v1/alerts/deliveries follows them`
          : `${what} pending again; the next start of a runtime that delivers alerts sends them`,
  };
}

/** Alerts (docs/methods.md §8): the list, acknowledgements and the delivery record. */
export function registerAlertRoutes(app: FastifyInstance, ctx: QueryContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const client = ctx.states.client;

  r.get(
    '/v1/alerts',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Alerts (signal, objective, data quality), newest first, with evidence and acknowledgement',
        tags: ['alerts'],
        querystring: AlertsQuery,
      },
    },
    async (request) =>
      withinDeadline(ctx.requestTimeoutMs, async () => ({ alerts: await listAlerts(client, request.query) })),
  );

  r.post(
    '/v1/alerts/:id/ack',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Acknowledge an alert: who and why; a firing message not yet sent is not sent',
        tags: ['alerts'],
        params: AlertParams,
        body: AckBody,
      },
    },
    async (request) => {
      const [alert] = await listAlerts(client, { ids: [request.params.id] });
      if (!alert)
        throw new ApiError('not_found', `no alert ${request.params.id} (GET /v1/alerts lists them)`);
      await recordAck(client, { alertId: alert.alertId, by: request.body.by, note: request.body.note });
      const [acked] = await listAlerts(client, { ids: [alert.alertId] });
      return { alert: acked };
    },
  );

  r.post(
    '/v1/alerts/deliveries/:id/retry',
    {
      config: { access: 'decide' },
      schema: {
        summary:
          'Re-send a failed delivery (its receiver fixed): same delivery id and body, a new round of attempts; a pending one is handed to the queue again; 503 with Retry-After when the queue cannot take it',
        tags: ['alerts'],
        params: DeliveryParams,
        body: RetryBody,
      },
    },
    async (request) =>
      retried(
        await retryDeliveries(
          { client, queue: ctx.alertDeliveries },
          { ids: [request.params.id] },
          request.body?.by ?? 'api',
        ),
      ),
  );

  r.post(
    '/v1/alerts/deliveries/retry-failed',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Re-send every failed delivery: same delivery ids and bodies, a new round of attempts each',
        tags: ['alerts'],
        body: RetryBody,
      },
    },
    async (request) =>
      retried(
        await retryDeliveries(
          { client, queue: ctx.alertDeliveries },
          { allFailed: true },
          request.body?.by ?? 'api',
        ),
      ),
  );

  r.get(
    '/v1/alerts/deliveries',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Alert deliveries (one per transition and route): pending, delivered, failed, cancelled',
        tags: ['alerts'],
        querystring: DeliveriesQuery,
      },
    },
    async (request) =>
      withinDeadline(ctx.requestTimeoutMs, async () => ({
        deliveries: await listDeliveries(client, {
          state: request.query.state,
          alertId: request.query.alertId,
          limit: request.query.limit,
          withBody: false,
        }),
      })),
  );
}
