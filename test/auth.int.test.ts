import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_INGEST_TOKENS: 'tok-alpha, tok-beta' });
});
afterAll(async () => rt.dispose());

const event = () => ev('feedback.complaint', { complaintId: 'c1' });

describe('bearer-token authentication', () => {
  it('refuses a post without a token (401) or with an unknown token (403), storing nothing', async () => {
    const missing = await rt.post(event());
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await rt.post(event(), { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    const rs = await rt.warehouse.client.query({
      query: 'SELECT count() AS c FROM events_raw',
      format: 'JSONEachRow',
    });
    expect((await rs.json<{ c: unknown }>()).map((r) => Number(r.c))).toEqual([0]);
  });

  it('accepts any configured token and protects the query API too', async () => {
    const ok = await rt.post(event(), { headers: { authorization: 'Bearer tok-beta' } });
    expect(ok.status).toBe(202);
    expect((await fetch(`${rt.url}/v1/kpis`)).status).toBe(401);
    expect(
      (await fetch(`${rt.url}/v1/kpis`, { headers: { authorization: 'Bearer tok-alpha' } })).status,
    ).toBe(200);
    expect((await fetch(`${rt.url}/healthz`)).status).toBe(200);
  });
});
