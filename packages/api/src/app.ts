import type { ClickHouseClient } from '@clickhouse/client';
import { type Bus, BusUnavailableError, LockUnavailableError, TOPICS } from '@shewhart/bus';
import { validateBatch } from '@shewhart/events';
import type { ObjectiveService } from '@shewhart/objectives';
import { StorageUnavailableError } from '@shewhart/warehouse';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import { TokenSet } from './auth.js';
import { objectiveLookup, registerBaselineRoutes } from './baseline.routes.js';
import { type ParsedBody, parseJsonBody, parseNdjsonBody } from './body.js';
import { registerKpiRoutes } from './kpi.routes.js';
import { collectorMetrics } from './metrics.js';

const EMPTY = Buffer.alloc(0);

export interface CollectorAppOptions {
  bus: Bus;
  logger: FastifyBaseLogger;
  registry: Registry;
  tokens: readonly string[];
  maxBodyBytes: number;
  /** False while starting or draining; drives /readyz. */
  isReady: () => boolean;
  /** When given, the query API (`/v1/kpis`) is served from this warehouse. */
  warehouse?: ClickHouseClient;
  /** The quality objectives, when an objectives file is configured. */
  objectives?: ObjectiveService;
}

/**
 * The collector's HTTP surface: `POST /v1/events` exactly as docs/events.md says, the KPI query API, and
 * the operational endpoints. Returns an app that is not yet listening.
 */
export function buildCollectorApp(options: CollectorAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  const tokens = new TokenSet(options.tokens);

  // While closing, answer in-flight requests with `Connection: close` so keep-alive sockets end with
  // their response and close() returns as soon as the last acknowledgement was sent.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  const metrics = collectorMetrics(options.registry);

  // Bodies are parsed by us (not by Fastify) so that malformed JSON is reported in the docs/events.md error
  // shape, and NDJSON line numbers map to event indexes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/x-ndjson'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    const verdict = tokens.check(request.headers.authorization);
    if (verdict === 'missing') {
      reply.header('www-authenticate', 'Bearer realm="shewhart"');
      return reply.code(401).send({ error: 'unauthorized', message: 'a bearer token is required' });
    }
    if (verdict === 'unknown') return reply.code(403).send({ error: 'forbidden', message: 'unknown token' });
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof LockUnavailableError || error instanceof StorageUnavailableError) {
      // The KPI states could not be caught up (the shared lock or the warehouse is unreachable).
      request.log.warn({ err: error }, 'query unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'unavailable', message: 'KPI data are being brought up to date; retry later' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    const kind =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status < 500
            ? 'bad_request'
            : 'internal';
    void reply.code(status).send({ error: kind, message: status >= 500 ? 'internal error' : error.message });
  });

  app.post('/v1/events', async (request: FastifyRequest<{ Body: string }>, reply) => {
    const parsed = parseBody(request);
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
        const retryAfter = error instanceof BusUnavailableError ? error.retryAfterSeconds : 5;
        request.log.warn({ err: error }, 'ingest unavailable');
        metrics.requests.inc({ status: '503' });
        return reply
          .code(503)
          .header('retry-after', String(retryAfter))
          .send({ error: 'unavailable', message: 'storage is unavailable; nothing was stored, retry later' });
      }
      metrics.requests.inc({ status: '500' });
      throw error;
    }
  });

  if (options.warehouse) {
    registerKpiRoutes(app, options.warehouse, options.objectives);
    registerBaselineRoutes(app, options.warehouse, objectiveLookup(options.objectives));
  }

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    options.isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', options.registry.contentType).send(await options.registry.metrics()),
  );
  return app;
}

function parseBody(request: FastifyRequest<{ Body: string }>): ParsedBody {
  const text = typeof request.body === 'string' ? request.body : '';
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-ndjson' ? parseNdjsonBody(text) : parseJsonBody(text);
}
