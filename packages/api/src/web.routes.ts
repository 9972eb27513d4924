import { type ListedAlert, listAlerts, recordAck } from '@shewhart/alerts';
import { addAction, loadPack, NewAction } from '@shewhart/report';
import {
  type AlertsPort,
  errorPage,
  loginForm,
  PAGE_CSP,
  page,
  renderAlertsPage,
  renderChartPage,
  renderOverview,
  renderPackPage,
  renderReportsPage,
  type WebAlert,
  WebView,
} from '@shewhart/web';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Access, Verdict } from './auth.js';
import { type QueryContext, withinDeadline } from './context.js';
import { ApiError, sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A page of the web view: a browser may authenticate with the sign-in cookie instead of a header. */
    browser?: boolean;
  }
}

/** The cookie that carries a browser's token (set by the sign-in form; HttpOnly, SameSite=Strict). */
export const TOKEN_COOKIE = 'shewhart_token';

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/**
 * The Authorization a page request carries: its header, else the sign-in cookie — on web pages only, so
 * the JSON API never accepts a cookie (no cross-site request can use one there).
 */
export function browserAuthorization(request: FastifyRequest): string | undefined {
  if (request.headers.authorization !== undefined) return request.headers.authorization;
  if (request.is404 || request.routeOptions.config.browser !== true) return undefined;
  const token = cookie(request.headers.cookie, TOKEN_COOKIE);
  return token ? `Bearer ${token}` : undefined;
}

export interface WebRoutesContext extends QueryContext {
  /** The app's authentication check, to tell a page whether its user may decide (acknowledge, record). */
  check: (authorization: string | undefined, access: Access) => Verdict;
  /**
   * Registers work to run after each baseline and signal refresh of this process (the embedded runtime's
   * refresher): the web view prepares its pages there. Absent where no refresher runs (the scaled collector).
   */
  onRefreshed?: (hook: () => Promise<void>) => void;
}

const Optional = (max: number) => z.string().max(max).optional();
const ChartPageQuery = z.object({
  kpi: Optional(64),
  period: Optional(16),
  team: Optional(128),
  project: Optional(128),
  from: Optional(40),
  to: Optional(40),
  unit: Optional(32),
  phase: Optional(32),
});
const Form = (shape: z.ZodRawShape) => z.object(shape).passthrough();
const PackParams = z.object({
  id: z.string().regex(/^\d{4}-Q[1-4](\.[^/]{1,128})?$/, 'is not a review pack id'),
});

/**
 * The built-in web view: server-rendered pages (overview, control charts, alerts, review packs) that read
 * with JavaScript disabled, load nothing from anywhere else (Content-Security-Policy: default-src 'none')
 * and answer errors through the API's one error map, as an HTML page. Forms are plain GET (filters) and
 * POST (acknowledge, record an action, sign in); a POST made with the cookie must come from this origin.
 */
export function registerWebRoutes(app: FastifyInstance, routes: WebRoutesContext): void {
  const ctx = { ...routes, alerts: alertsPort(routes) };
  // Pages already built for the current data are served from memory; the refresher prepares them
  // (view.ts in @shewhart/web). A GET only reads.
  const view = new WebView(ctx, { logger: app.log });
  if (routes.onRefreshed) {
    routes.onRefreshed(() => view.prepare());
    app.addHook('onReady', async () => {
      void view.prepare();
      view.prepareDaily();
    });
  }
  app.addHook('onClose', () => view.close());
  void app.register(async (web) => {
    web.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_r, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );
    // A form POST authenticated by the cookie must come from one of our own pages (SameSite=Strict keeps
    // the cookie off cross-site requests already; the Origin check also covers old browsers).
    web.addHook('preHandler', async (request) => {
      if (request.method !== 'POST' || request.headers.authorization !== undefined) return;
      const origin = request.headers.origin;
      const site = request.headers['sec-fetch-site'];
      const host = request.headers.host;
      const sameOrigin = origin
        ? host !== undefined && new URL(origin).host === host
        : site === 'same-origin' || site === undefined;
      if (!sameOrigin)
        throw new ApiError('forbidden', "a form may only be posted from this server's own pages");
    });
    web.addHook('onSend', async (request, reply, payload) => {
      reply.header('content-security-policy', PAGE_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', 'no-store');
      if (
        reply.statusCode < 400 ||
        !String(reply.getHeader('content-type') ?? '').startsWith('application/json')
      )
        return payload;
      // The API's error (status and message from the one error map), shown as a page.
      const body = JSON.parse(String(payload)) as { error: string; message: string };
      reply.type('text/html; charset=utf-8');
      return errorPage(
        { status: reply.statusCode, kind: body.error, message: body.message },
        reply.statusCode === 401 ? { loginNext: request.url } : {},
      );
    });
    web.setErrorHandler((error, request, reply) => sendError(error, request, reply));

    const r = web.withTypeProvider<ZodTypeProvider>();
    const pageRoute = (access: Access) => ({ config: { access, browser: true }, schema: { hide: true } });
    const html = 'text/html; charset=utf-8';
    const who = (request: FastifyRequest) => {
      const authorization = browserAuthorization(request);
      return {
        signedIn: request.headers.authorization === undefined && authorization !== undefined,
        canDecide: ctx.check(authorization, 'decide') === 'ok',
      };
    };
    const alerts = ctx.alerts !== undefined;

    r.get('/', pageRoute('read'), async (request, reply) => {
      const o = await withinDeadline(ctx.requestTimeoutMs, () => view.overview(), {
        catchUp: ctx.states,
      });
      const signedIn = who(request).signedIn;
      return reply
        .type(html)
        .send(view.render(o, `${signedIn}`, () => renderOverview(o, { alerts, signedIn })));
    });

    r.get(
      '/charts',
      { ...pageRoute('read'), schema: { hide: true, querystring: ChartPageQuery } },
      async (request, reply) => {
        const p = await withinDeadline(ctx.requestTimeoutMs, () => view.chartPage(request.query), {
          catchUp: ctx.states,
        });
        const signedIn = who(request).signedIn;
        return reply
          .type(html)
          .send(view.render(p, `${signedIn}`, () => renderChartPage(p, { alerts, signedIn })));
      },
    );

    r.get('/alerts', pageRoute('read'), async (request, reply) => {
      const lists = await withinDeadline(ctx.requestTimeoutMs, () => view.alerts());
      const [firing, resolved] = lists;
      const w = who(request);
      return reply
        .type(html)
        .send(
          view.render(lists, `${w.signedIn}|${w.canDecide}`, () =>
            renderAlertsPage(firing, resolved, { signedIn: w.signedIn, canAck: w.canDecide }),
          ),
        );
    });

    r.post(
      '/alerts/:id/ack',
      {
        ...pageRoute('decide'),
        schema: {
          hide: true,
          params: z.object({ id: z.string().min(1).max(200) }),
          body: Form({ by: z.string().trim().min(1).max(128), note: z.string().max(2000).default('') }),
        },
      },
      async (request, reply) => {
        if (!ctx.alerts) throw new ApiError('not_found', 'alerts are not part of this deployment');
        const body = request.body as { by: string; note: string };
        await ctx.alerts.acknowledge(request.params.id, body.by, body.note);
        view.invalidate();
        return reply.redirect(`/alerts#${encodeURIComponent(request.params.id)}`, 303);
      },
    );

    r.get('/reports', pageRoute('read'), async (request, reply) => {
      const packs = await withinDeadline(ctx.requestTimeoutMs, () => view.packs());
      const signedIn = who(request).signedIn;
      return reply
        .type(html)
        .send(view.render(packs, `${signedIn}`, () => renderReportsPage(packs, { alerts, signedIn })));
    });

    r.get(
      '/reports/:id',
      { ...pageRoute('read'), schema: { hide: true, params: PackParams } },
      async (request, reply) => {
        const loaded = await withinDeadline(ctx.requestTimeoutMs, () => view.pack(request.params.id));
        const [pack, actions] = loaded;
        const w = who(request);
        return reply
          .type(html)
          .send(
            view.render(loaded, `${w.signedIn}|${w.canDecide}`, () =>
              renderPackPage(pack, actions, { alerts, signedIn: w.signedIn, canDecide: w.canDecide }),
            ),
          );
      },
    );

    r.post(
      '/reports/:id/actions',
      {
        ...pageRoute('decide'),
        schema: {
          hide: true,
          params: PackParams,
          body: Form({
            kind: z.string(),
            title: z.string(),
            owner: z.string(),
            due: z.string().optional(),
            status: z.string().optional(),
          }),
        },
      },
      async (request, reply) => {
        const pack = await loadPack(ctx.states.client, request.params.id);
        const body = request.body as Record<string, string>;
        const parsed = NewAction.safeParse({
          quarter: pack.quarter,
          ...(pack.team ? { team: pack.team } : {}),
          kind: body.kind,
          title: body.title,
          owner: body.owner,
          ...(body.due ? { due: body.due } : {}),
          ...(body.status ? { status: body.status } : {}),
          recordedBy: 'web',
        });
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
          throw new ApiError('invalid', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
        }
        await addAction(ctx.states.client, parsed.data);
        view.invalidate();
        return reply.redirect(`/reports/${encodeURIComponent(pack.id)}#h-outputs`, 303);
      },
    );

    r.get(
      '/login',
      { ...pageRoute('public'), schema: { hide: true, querystring: z.object({ next: Optional(2000) }) } },
      async (request, reply) =>
        reply
          .type(html)
          .send(
            page(
              { title: 'Sign in', alerts },
              `<h1>Sign in</h1>\n${loginForm(safeNext(request.query.next))}`,
            ),
          ),
    );

    r.post(
      '/login',
      {
        ...pageRoute('public'),
        schema: {
          hide: true,
          body: Form({ token: z.string().max(512), next: z.string().max(2000).optional() }),
        },
      },
      async (request, reply) => {
        const body = request.body as { token: string; next?: string };
        const token = body.token.trim();
        const verdict = ctx.check(`Bearer ${token}`, 'read');
        if (!/^[\x21-\x7e]+$/.test(token) || verdict !== 'ok') {
          throw new ApiError(
            'unauthorized',
            verdict === 'forbidden' ? 'this token may not read' : 'unknown token',
          );
        }
        const secure = request.protocol === 'https' ? '; Secure' : '';
        reply.header(
          'set-cookie',
          `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
        );
        return reply.redirect(safeNext(body.next), 303);
      },
    );

    r.post('/logout', pageRoute('public'), async (_request, reply) => {
      reply.header('set-cookie', `${TOKEN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
      return reply.redirect('/login', 303);
    });
  });
}

/** Only a path of this server (never `//host` or a scheme) may follow a sign-in. */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** An alert as the web pages show it. */
export const toWebAlert = (a: ListedAlert): WebAlert => ({
  id: a.alertId,
  class: a.class,
  severity: a.severity,
  state: a.state,
  title: a.title,
  kpi: a.kpi,
  team: a.team,
  project: a.project,
  grain: a.grain,
  periodStart: a.periodStart,
  value: a.value,
  startedAt: a.startedAt,
  resolvedAt: a.resolvedAt,
  ackedBy: a.acknowledged?.by ?? null,
  ackNote: a.acknowledged?.note ?? null,
  ackedAt: a.acknowledged?.at ?? null,
});

/** The alerts of the `alerts` table (packages/alerts), as the pages list and acknowledge them. */
function alertsPort(ctx: QueryContext): AlertsPort {
  const client = ctx.states.client;
  return {
    list: async (filter) => (await listAlerts(client, filter)).map(toWebAlert),
    acknowledge: async (id, by, note) => {
      const [alert] = await listAlerts(client, { ids: [id] });
      if (!alert) throw new ApiError('not_found', `no alert ${id}`);
      await recordAck(client, { alertId: alert.alertId, by, note });
    },
  };
}
