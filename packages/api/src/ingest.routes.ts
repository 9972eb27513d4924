import { type Bus, BusUnavailableError, TOPICS } from '@shewhart/bus';
import { ShewhartEvent, validateBatch } from '@shewhart/events';
import { StorageUnavailableError } from '@shewhart/warehouse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type BodyLimits, decodeBody, type ParsedBody, parseJsonBody, parseNdjsonBody } from './body.js';
import { ApiError } from './errors.js';
import type { collectorMetrics } from './metrics.js';

const EMPTY = Buffer.alloc(0);

/**
 * `POST /v1/events`, as docs/events.md describes: one event or an array (JSON), or one event per line
 * (NDJSON). All or nothing: one invalid event refuses the whole batch (400, every error with its index
 * and path) and nothing of it is stored. 202 only once the batch is durably stored (embedded) or
 * acknowledged by every in-sync Kafka replica (scaled). Never cut short by the request deadline.
 */
export function registerIngestRoutes(
  app: FastifyInstance,
  options: { bus: Bus; limits: BodyLimits; metrics: ReturnType<typeof collectorMetrics> },
): void {
  const { metrics } = options;
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/events',
    {
      config: { access: 'ingest' },
      // The body is read as bytes and validated by the event contract (errors in its own shape); the
      // schema is here for the OpenAPI document only.
      validatorCompiler: () => (data) => ({ value: data }),
      schema: {
        summary: 'Ingest events: one, an array (application/json) or NDJSON (application/x-ndjson)',
        tags: ['ingest'],
        body: z.union([ShewhartEvent, z.array(ShewhartEvent)]),
      },
    },
    async (request, reply) => {
      const parsed = parseBody(request as FastifyRequest, options.limits);
      if (!parsed.ok) {
        metrics.requests.inc({ status: '400' });
        return reply.code(400).send({ errors: parsed.errors });
      }
      const validation = validateBatch(parsed.items);
      if (!validation.ok) {
        metrics.requests.inc({ status: '400' });
        metrics.events.inc({ outcome: 'rejected' }, parsed.items.length);
        return reply.code(400).send({ errors: validation.errors });
      }
      const events = validation.events;
      metrics.batchSize.observe(events.length);
      if (events.length === 0) return reply.code(202).send({ accepted: 0, duplicates: 0 });
      const stop = metrics.ackLatency.startTimer();
      try {
        const inProcess = options.bus.kind === 'memory';
        const receipt = await options.bus.publish(
          TOPICS.events,
          events.map((e) =>
            inProcess
              ? { key: e.team, value: EMPTY, payload: e }
              : { key: e.team, value: Buffer.from(JSON.stringify(e)) },
          ),
        );
        stop();
        const duplicates = receipt.outcome?.duplicates ?? 0;
        metrics.events.inc({ outcome: 'accepted' }, events.length - duplicates);
        if (duplicates > 0) metrics.events.inc({ outcome: 'duplicate' }, duplicates);
        metrics.requests.inc({ status: '202' });
        return reply.code(202).send({ accepted: events.length, duplicates });
      } catch (error) {
        if (error instanceof BusUnavailableError || error instanceof StorageUnavailableError) {
          metrics.requests.inc({ status: '503' });
          const retryAfter = error instanceof BusUnavailableError ? error.retryAfterSeconds : 5;
          throw new ApiError(
            'unavailable',
            'storage is unavailable; nothing was acknowledged, retry later (the same events are stored once)',
            undefined,
            retryAfter,
          );
        }
        metrics.requests.inc({ status: '500' });
        throw error;
      }
    },
  );
}

function parseBody(request: FastifyRequest, limits: BodyLimits): ParsedBody {
  const raw = request.body as Buffer | string | undefined;
  const decoded = decodeBody(raw ?? '');
  if (!decoded.ok) return decoded;
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-ndjson'
    ? parseNdjsonBody(decoded.text, limits)
    : parseJsonBody(decoded.text, limits);
}
