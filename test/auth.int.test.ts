import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

/**
 * Authentication is decided on the route the router matched, never on the raw URL: every spelling of
 * every route — percent-encoded, absolute-form, dot segments, doubled slashes, upper case — is refused
 * without a valid token, and nothing of a refused request is stored.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
const TOKENS = { ingest: 'tok-ingest', read: 'tok-read', decide: 'tok-decide' };
beforeAll(async () => {
  rt = await startTestRuntime({
    SHEWHART_INGEST_TOKENS: `${TOKENS.ingest}, tok-ingest-2`,
    SHEWHART_READ_TOKENS: TOKENS.read,
    SHEWHART_DECIDE_TOKENS: TOKENS.decide,
  });
});
afterAll(async () => rt.dispose());

const event = () => ev('feedback.complaint', { complaintId: 'c1' });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** A raw HTTP request: the path is sent exactly as given (fetch would normalise it). */
function raw(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  const { port } = new URL(rt.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: Number(port),
        method,
        path,
        headers: {
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

async function count(table: string): Promise<number> {
  const rs = await rt.warehouse.client.query({
    query: `SELECT count() AS c FROM ${table}`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ c: string }>())[0]?.c);
}

/** Spellings of one path that a router may decode to the same route. */
function spellings(path: string): string[] {
  const [, first, ...rest] = path.split('/');
  const tail = rest.join('/');
  const port = new URL(rt.url).port;
  const encodeFirstChar = (s: string) => `%${s.charCodeAt(0).toString(16)}${s.slice(1)}`;
  const encodeAll = (s: string) =>
    [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
  return [
    path,
    `/${encodeFirstChar(first as string)}/${tail}`,
    `/${encodeAll(first as string)}/${tail}`,
    `/${first}/${encodeAll(tail.split('/')[0] as string)}${tail.includes('/') ? `/${tail.split('/').slice(1).join('/')}` : ''}`,
    `http://127.0.0.1:${port}${path}`,
    `http://evil.example${path}`,
    `/${first}/../${first}/${tail}`,
    `/./${first}/${tail}`,
    `//${first}/${tail}`,
    `/${first}//${tail}`,
    `/${(first as string).toUpperCase()}/${tail.toUpperCase()}`,
    `${path}/`,
    `/${first}%2F${tail}`,
    `${path}?x=%00`,
  ];
}

describe('bearer-token authentication', () => {
  it('declares who may call every route, and only health, readiness, metrics and the API description are public', () => {
    const routes = rt.app.routeList;
    expect(routes.length).toBeGreaterThan(10);
    const open = routes.filter((r) => r.access === 'public').map((r) => r.url);
    // The web view's sign-in form (GET, POST) and sign-out take no token (web.routes.ts).
    expect(open.sort()).toEqual([
      '/healthz',
      '/login',
      '/login',
      '/logout',
      '/metrics',
      '/openapi.json',
      '/readyz',
    ]);
    for (const r of routes) expect(['public', 'read', 'ingest', 'decide', 'signed']).toContain(r.access);
    // Webhooks authenticate by their tool's signature, checked by the handler (never a bearer token).
    expect(
      routes
        .filter((r) => r.access === 'signed')
        .map((r) => r.url)
        .sort(),
    ).toEqual(['/v1/webhooks/github', '/v1/webhooks/gitlab', '/v1/webhooks/jira']);
  });

  it('refuses every spelling of every protected route without a token, and stores nothing', async () => {
    const sample = (url: string) =>
      url.replace(':id', 'complaints_received').replace(':kpi', 'complaints_received');
    const protectedRoutes = rt.app.routeList.filter((r) => r.access !== 'public');
    let checked = 0;
    for (const route of protectedRoutes) {
      for (const path of spellings(sample(route.url))) {
        const body =
          route.method === 'POST'
            ? JSON.stringify(
                route.url === '/v1/events'
                  ? event()
                  : {
                      reason: 'an attacker wants a new stage',
                      periodStart: '2024-01-01',
                      causeCode: 'x',
                      reference: 'y',
                    },
              )
            : undefined;
        const res = await raw(route.method, path, { body });
        // 401 (no token), or 400/404-free refusals of a malformed URL before any route runs.
        expect([400, 401], `${route.method} ${path} → ${res.status} ${res.body}`).toContain(res.status);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(await count('events_raw')).toBe(0);
    expect(await count('baseline_decisions')).toBe(0);
    expect(await count('assignable_causes')).toBe(0);
  });

  it('answers 401 to unknown tokens and 403 to a token without the permission', async () => {
    expect((await rt.post(event(), { headers: bearer('nope') })).status).toBe(401);
    expect((await rt.post(event(), { headers: bearer(TOKENS.read) })).status).toBe(403);
    expect((await fetch(`${rt.url}/v1/kpis`, { headers: bearer(TOKENS.ingest) })).status).toBe(403);
    const rebase = await fetch(`${rt.url}/v1/baselines/complaints_received/rebase`, {
      method: 'POST',
      headers: { ...bearer(TOKENS.read), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'a reader cannot decide' }),
    });
    expect(rebase.status).toBe(403);
    expect(await count('events_raw')).toBe(0);
    expect(await count('baseline_decisions')).toBe(0);
  });

  it('serves each permission with its token: ingest, read, decide (which also reads)', async () => {
    expect((await rt.post(event(), { headers: bearer('tok-ingest-2') })).status).toBe(202);
    expect((await fetch(`${rt.url}/v1/kpis`, { headers: bearer(TOKENS.read) })).status).toBe(200);
    expect((await fetch(`${rt.url}/v1/kpis`, { headers: bearer(TOKENS.decide) })).status).toBe(200);
    // A spelled-around path reaches the route only with a valid token, and then behaves as the route.
    expect((await raw('GET', '/%761/kpis', { headers: bearer(TOKENS.read) })).status).toBe(200);
    expect((await fetch(`${rt.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${rt.url}/openapi.json`)).status).toBe(200);
    // No route matched: only a valid token learns that it does not exist.
    expect((await fetch(`${rt.url}/v1/nothing-here`)).status).toBe(401);
    expect((await fetch(`${rt.url}/v1/nothing-here`, { headers: bearer(TOKENS.read) })).status).toBe(404);
  });

  it('signed routes refuse unsigned requests with 401, a valid bearer token notwithstanding, and store nothing', async () => {
    const before = await count('events_raw');
    for (const url of ['/v1/webhooks/github', '/v1/webhooks/gitlab', '/v1/webhooks/jira']) {
      const attempts: Record<string, string>[] = [
        {},
        bearer(TOKENS.ingest),
        { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      ];
      for (const headers of attempts) {
        const res = await raw('POST', url, { headers, body: JSON.stringify({ action: 'opened' }) });
        expect(res.status, `${url} ${JSON.stringify(headers)} → ${res.body}`).toBe(401);
      }
    }
    expect(await count('events_raw')).toBe(before);
  });
});
