import type { Bus } from '@shewhart/bus';
import { ShewhartEvent, validateBatch } from '@shewhart/events';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type BodyLimits, decodeBody, type ParsedBody, parseJsonBody, parseNdjsonBody } from './body.js';
import type { collectorMetrics } from './metrics.js';
import { publishEvents } from './publish.js';

/**
 * `POST /v1/events`, as docs/events.md describes: one event or an array (JSON), or one event per line
 * (NDJSON). All or nothing: one invalid event refuses the whole batch (400, every error with its index
 * and path) and nothing of it is stored. 202 only once the batch is durably stored (embedded) or
 * acknowledged by every in-sync Kafka replica (scaled). Never cut short by the request deadline.
 */
export function registerIngestRoutes(
  app: FastifyInstance,
  options: {
    bus: Bus;
    limits: BodyLimits;
    metrics: ReturnType<typeof collectorMetrics>;
    onRejected?: (rows: { source: string; team: string; rejected: number; reason: string }[]) => void;
  },
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
        options.onRejected?.(
          rejectedBySource(parsed.items, validation.errors[0]?.message ?? 'invalid event'),
        );
        return reply.code(400).send({ errors: validation.errors });
      }
      try {
        const result = await publishEvents(options.bus, validation.events, metrics);
        metrics.requests.inc({ status: '202' });
        return reply.code(202).send(result);
      } catch (error) {
        metrics.requests.inc({ status: (error as { kind?: string }).kind === 'unavailable' ? '503' : '500' });
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

/** A refused batch counted per (source, team) as its events name them (`?` where they do not). */
function rejectedBySource(items: readonly unknown[], reason: string) {
  const by = new Map<string, { source: string; team: string; rejected: number; reason: string }>();
  for (const item of items) {
    const e = (typeof item === 'object' && item !== null ? item : {}) as { source?: unknown; team?: unknown };
    const source = typeof e.source === 'string' ? e.source.slice(0, 200) : '?';
    const team = typeof e.team === 'string' ? e.team.slice(0, 200) : '?';
    const row = by.get(`${source}\u0000${team}`) ?? { source, team, rejected: 0, reason };
    row.rejected++;
    by.set(`${source}\u0000${team}`, row);
  }
  return [...by.values()];
}
