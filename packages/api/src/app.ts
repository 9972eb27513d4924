import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import type { DeliveryQueue } from '@shewhart/alerts';
import type { BaselineRefresher } from '@shewhart/baselines';
import type { Bus } from '@shewhart/bus';
import { EMPTY_SOURCES, type SourceSecrets, type SourcesConfig } from '@shewhart/connectors';
import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import Fastify, {
  type ConnectionError,
  type FastifyBaseLogger,
  type FastifyInstance,
  LogController,
} from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { registerAlertRoutes } from './alerts.routes.js';
import { type Access, Authenticator, type TokenLists } from './auth.js';
import { registerBaselineRoutes } from './baseline.routes.js';
import { type BodyLimits, checkShape, DEFAULT_BODY_LIMITS, decodeBody } from './body.js';
import { ApiError, sendError } from './errors.js';
import { registerIngestRoutes } from './ingest.routes.js';
import { registerKpiRoutes } from './kpi.routes.js';
import { collectorMetrics } from './metrics.js';
import { registerReportRoutes } from './reports.routes.js';
import { browserAuthorization, registerWebRoutes } from './web.routes.js';
import { registerWebhookRoutes } from './webhooks.routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (see auth.ts). Every route declares it; there is no default. */
    access?: Access;
  }
  interface FastifyInstance {
    /** Every route of the app with the access it declared (for the docs and the auth tests). */
    routeList: { method: string; url: string; access: Access | undefined }[];
  }
}

export interface HttpAppOptions {
  bus: Bus;
  logger: FastifyBaseLogger;
  registry: Registry;
  auth: TokenLists;
  /** A per-process token with every permission, for in-process clients (import, demo). */
  internalToken?: string;
  maxBodyBytes: number;
  /** The longest a read may take before it is answered 503 with Retry-After. */
  requestTimeoutMs: number;
  limits?: BodyLimits;
  /** False while starting or draining; drives /readyz. */
  isReady: () => boolean;
  /** When given, the query API (KPIs, charts, baselines, signals, objectives) is served from these states. */
  states?: EntityStates;
  objectives?: ObjectiveService;
  refresher?: BaselineRefresher;
  /** Registers work to run after each refresh of `refresher` (the web view prepares its pages there). */
  onRefreshed?: (hook: () => Promise<void>) => void;
  /** The `sources` section and the secrets it names: the webhook routes (docs/connectors/). */
  sources?: { config: SourcesConfig; secrets: SourceSecrets };
  /** Where re-sent alert deliveries go (POST /v1/alerts/deliveries/:id/retry). */
  alertDeliveries?: DeliveryQueue;
  /** Called with each refused ingest batch, per source (the data-quality alert's refused share). */
  onRejected?: (rows: { source: string; team: string; rejected: number; reason: string }[]) => void;
}

/** Routes anyone may call, whatever tokens are configured (docs/reliability.md). */
export const PUBLIC_ROUTES = ['/healthz', '/readyz', '/metrics', '/openapi.json'] as const;

/**
 * The HTTP app of every runtime: ingest, the query API and the operational endpoints, with one
 * authentication check on the matched route, one error map and request schemas that are also the
 * OpenAPI document. Returns an app that is not yet listening.
 */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const limits = options.limits ?? DEFAULT_BODY_LIMITS;
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // A client that trickles its request in is cut off: the whole request must arrive in this time.
    requestTimeout: options.requestTimeoutMs * 2,
    clientErrorHandler,
  });
  const routeList: FastifyInstance['routeList'] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: Access } | undefined)?.access;
    // Every route says who may call it: a route without a declaration is a bug, refused at start-up.
    if (access === undefined) throw new Error(`route ${route.method} ${route.url} declares no access`);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routeList.push({ method, url: route.url, access });
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shewhart HTTP API',
        version: '1',
        description:
          'Ingest quality events; read KPIs, control charts, process performance baselines, signals and objectives.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (documents) =>
      'openapiObject' in documents ? optionalBodies(documents.openapiObject) : documents.swaggerObject,
  });
  const auth = new Authenticator(options.auth, options.internalToken);

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

  // Authentication on the route the router matched — never on the raw URL, which can be spelled many
  // ways. A request that matches no route needs a valid token too before it learns that (deny by default).
  app.addHook('onRequest', async (request) => {
    const access = request.is404 ? undefined : request.routeOptions.config.access;
    if (!request.is404 && access === undefined) {
      throw new Error(`route ${request.routeOptions.url} declares no access`);
    }
    // A web page may carry the token in the sign-in cookie instead of the header (web.routes.ts).
    const verdict = auth.check(browserAuthorization(request), access);
    if (verdict === 'missing') throw new ApiError('unauthorized', 'a bearer token is required');
    if (verdict === 'unknown') throw new ApiError('unauthorized', 'unknown token');
    if (verdict === 'forbidden') {
      throw new ApiError(
        'forbidden',
        `this token may not ${access === 'ingest' ? 'ingest events' : access === 'decide' ? 'record decisions' : 'read'}`,
      );
    }
  });

  // Bodies are read as bytes: JSON must be UTF-8 (RFC 8259), and its nesting and size are measured
  // before anything is built from it. The ingest route reads its own (docs/events.md error shape, NDJSON).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ['application/json', 'application/x-ndjson'],
    { parseAs: 'buffer' },
    (request, body, done) => {
      if (request.routeOptions.url === '/v1/events') return done(null, body);
      if (/^application\/x-ndjson/i.test(request.headers['content-type'] ?? '')) {
        return done(
          new ApiError('unsupported_media_type', 'only POST /v1/events takes NDJSON; send application/json'),
          undefined,
        );
      }
      const decoded = decodeBody(body as Buffer);
      if (!decoded.ok) return done(new ApiError('invalid', 'body is not valid UTF-8'), undefined);
      if (decoded.text.trim() === '') return done(null, undefined);
      try {
        // Not a batch of events: a top-level array is bounded by the value count like anything else.
        checkShape(decoded.text, { ...limits, maxItems: Number.POSITIVE_INFINITY });
        done(null, JSON.parse(decoded.text));
      } catch (error) {
        const e = error as Error & { kind?: string };
        done(e.kind ? e : new ApiError('invalid', `body is not valid JSON: ${e.message}`), undefined);
      }
    },
  );

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new ApiError('not_found', `no such route: ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );

  const metrics = collectorMetrics(options.registry);
  app.after(() => {
    registerIngestRoutes(app, { bus: options.bus, limits, metrics, onRejected: options.onRejected });
    registerWebhookRoutes(app, {
      bus: options.bus,
      registry: options.registry,
      metrics,
      limits,
      sources: options.sources?.config ?? EMPTY_SOURCES,
      secrets: options.sources?.secrets ?? {},
    });
    if (options.states) {
      const ctx = {
        states: options.states,
        objectives: options.objectives,
        refresher: options.refresher,
        requestTimeoutMs: options.requestTimeoutMs,
        alertDeliveries: options.alertDeliveries,
      };
      registerKpiRoutes(app, ctx);
      registerBaselineRoutes(app, ctx);
      registerReportRoutes(app, ctx);
      registerWebRoutes(app, {
        ...ctx,
        check: (a, x) => auth.check(a, x),
        ...(options.onRefreshed ? { onRefreshed: options.onRefreshed } : {}),
      });
      registerAlertRoutes(app, ctx);
    }
    const publicRoute = { config: { access: 'public' as const }, schema: { hide: true } };
    app.get('/healthz', publicRoute, async () => ({ status: 'ok' }));
    app.get('/readyz', publicRoute, async (_request, reply) =>
      options.isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
    );
    app.get('/metrics', publicRoute, async (_request, reply) =>
      reply.header('content-type', options.registry.contentType).send(await options.registry.metrics()),
    );
    app.get('/openapi.json', publicRoute, async () => app.swagger());
  });
  return app;
}

/**
 * Requests the HTTP parser refused before any route saw them (a request line or headers beyond 16 KiB,
 * a malformed request, one that did not arrive within the request timeout): answered in the API's error
 * shape and the connection closed. A HEAD request gets no body — Fastify's default wrote one, which a
 * client reads as the start of a next, malformed response — nor does one whose method is not known.
 */
function clientErrorHandler(error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, kind, message]: [number, string, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'the request line and headers exceed 16 KiB']
        : [400, 'invalid', 'malformed HTTP request'];
  // The method is known only when the packet at hand starts the request; when in doubt, no body.
  // (Typed as Buffer JSON by Fastify; Node passes the Buffer itself.)
  const packet = error.rawPacket as unknown as Buffer | undefined;
  const method = /^([A-Z]+) /.exec(packet?.subarray(0, 16).toString('latin1') ?? '')?.[1];
  const body = method && method !== 'HEAD' ? JSON.stringify({ error: kind, message }) : '';
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * @fastify/swagger marks every request body required. A body schema that also accepts null (a POST that
 * may come with no body at all, e.g. a re-send) is optional: say so in the document.
 */
function optionalBodies<T extends { paths?: Record<string, unknown> }>(doc: T): T {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item as Record<string, unknown>)) {
      const body = (operation as { requestBody?: { required?: boolean; content?: Record<string, unknown> } })
        ?.requestBody;
      const schema = (body?.content?.['application/json'] as { schema?: { anyOf?: { type?: unknown }[] } })
        ?.schema;
      if (body && schema?.anyOf?.some((s) => s.type === 'null')) body.required = false;
    }
  }
  return doc;
}
