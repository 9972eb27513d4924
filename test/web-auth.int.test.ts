import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';

/**
 * The web view with tokens configured: a browser has no bearer header, so a page answers 401 with a
 * sign-in form; the token it posts is checked and kept in an HttpOnly, SameSite=Strict cookie that web
 * pages accept and the JSON API never does; a cookie-authenticated form must come from this origin.
 */
const TOKENS = { read: 'web-read-token', decide: 'web-decide-token', ingest: 'web-ingest-token' };
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  rt = await startTestRuntime({
    SHEWHART_READ_TOKENS: TOKENS.read,
    SHEWHART_DECIDE_TOKENS: TOKENS.decide,
    SHEWHART_INGEST_TOKENS: TOKENS.ingest,
  });
});
afterAll(async () => rt.dispose());

const signIn = async (token: string) =>
  fetch(`${rt.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: rt.url },
    body: new URLSearchParams({ token, next: '/reports' }).toString(),
  });

describe('signing in with a browser', () => {
  it('answers a page without a token with 401 and the sign-in form (HTML)', async () => {
    const res = await fetch(`${rt.url}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<form class="stack" method="post" action="/login">');
    expect(html).toContain('a bearer token is required');
  });

  it('keeps a valid token in an HttpOnly SameSite=Strict cookie, which pages accept', async () => {
    const res = await signIn(TOKENS.read);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/reports');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^shewhart_token=web-read-token; HttpOnly; SameSite=Strict; Path=\//);
    const page = await fetch(`${rt.url}/reports`, { headers: { cookie: cookie.split(';')[0] as string } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Sign out');
  });

  it('refuses an unknown token and a token that may not read', async () => {
    expect((await signIn('not-a-token')).status).toBe(401);
    expect((await signIn(TOKENS.ingest)).status).toBe(401);
  });

  it('never accepts the cookie on the JSON API', async () => {
    const cookie = `shewhart_token=${TOKENS.decide}`;
    expect((await fetch(`${rt.url}/v1/reports`, { headers: { cookie } })).status).toBe(401);
    expect(
      (await fetch(`${rt.url}/v1/reports`, { headers: { authorization: `Bearer ${TOKENS.read}` } })).status,
    ).toBe(200);
  });

  it('refuses a cookie-authenticated form posted from another site, and a reader who may not decide', async () => {
    const post = (token: string, origin: string) =>
      fetch(`${rt.url}/reports/2026-Q3/actions`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `shewhart_token=${token}`,
          origin,
        },
        body: 'kind=improvement&title=t&owner=o',
      });
    expect((await post(TOKENS.decide, 'http://evil.example')).status).toBe(403);
    expect((await post(TOKENS.read, rt.url)).status).toBe(403);
    // Same origin, decide token: it reaches the route (no pack 2026-Q3 is kept here).
    expect((await post(TOKENS.decide, rt.url)).status).toBe(404);
  });

  it('only follows a sign-in to a path of this server', async () => {
    const res = await fetch(`${rt.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: rt.url },
      body: new URLSearchParams({ token: TOKENS.read, next: '//evil.example/' }).toString(),
    });
    expect(res.headers.get('location')).toBe('/');
  });
});
