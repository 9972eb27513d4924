import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRaw } from '../packages/bench/src/hostile-requests.js';
import { startTestRuntime } from './support/embedded.js';

/**
 * Hostile inputs found by probing the server (issue 11, items 3 and 4), each a clear 4xx naming what is
 * wrong, and nothing stored. test/fuzz.int.test.ts generates thousands more.
 */
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => rt.dispose());

const send = (method: string, path: string, body?: string | Buffer, contentType = 'application/json') =>
  sendRaw(
    rt.url,
    {
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': contentType },
      ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : Buffer.from(body) }),
    },
    30_000,
  );

async function stored(): Promise<number> {
  const rs = await rt.warehouse.client.query({
    query: 'SELECT count() AS n FROM events_raw',
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n);
}

describe('KPI parameters beyond what the engine stores', () => {
  it.each([
    ['from', 'from=0001-01-01'],
    ['to', 'to=9999-12-31'],
    ['asOf', 'asOf=9999-12-31'],
    ['asOf', 'asOf=1900-01-01T00:00:00Z'],
    ['from', 'from=2026-02-30'],
    ['to', 'to=%2B275760-09-13T00:00:00Z'],
  ])('refuses %s (%s) with 400 naming it, instead of an empty series', async (field, query) => {
    const res = await send('GET', `/v1/kpis/defect_arrivals?${query}`);
    expect(res.status, res.body).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      error: 'invalid',
      issues: [{ path: `querystring.${field}` }],
    });
  });

  it('takes dates and timestamps inside the range', async () => {
    const res = await send(
      'GET',
      '/v1/kpis/defect_arrivals?from=1970-01-01&to=2149-06-06&asOf=2026-01-01T12:00:00%2B02:00',
    );
    expect(res.status, res.body).toBe(200);
  });
});

describe('bodies', () => {
  it('refuses an object of more members than the limit with 413, before parsing it', async () => {
    const wide = `{${Array.from({ length: 1_200_000 }, (_, i) => `"k${i}":{}`).join(',')}}`;
    for (const path of ['/v1/events', '/v1/baselines/refresh', '/v1/baselines/defect_arrivals/rebase']) {
      const res = await send('POST', path, wide);
      expect(res.status, `${path} ${res.body}`).toBe(413);
      expect(res.body).toMatch(/more than 1000 members/);
    }
    expect(await stored()).toBe(0);
  });

  it('refuses a body of more values than the limit with 413, however they nest', async () => {
    const many = `[{"a":[${'{},'.repeat(2_000_000)}{}]}]`;
    const res = await send('POST', '/v1/events', many);
    expect(res.status, res.body).toBe(413);
    expect(res.body).toMatch(/array elements and object members/);
    const refresh = await send('POST', '/v1/baselines/refresh', `[${'{},'.repeat(2_000_000)}{}]`);
    expect(refresh.status, refresh.body).toBe(413);
    // not an events batch: the refusal does not speak of events
    expect(refresh.body).not.toMatch(/events/);
    expect(await stored()).toBe(0);
  });

  it('refuses NDJSON on a route that takes one JSON document (415)', async () => {
    const res = await send('POST', '/v1/baselines/refresh', '{}\n{}', 'application/x-ndjson');
    expect(res.status, res.body).toBe(415);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'unsupported_media_type' });
  });
});

describe('requests the HTTP parser refuses', () => {
  it('answers HEAD with an over-long request line 431 without a body a client would misread', async () => {
    const res = await send('HEAD', `/v1/kpis/${'a'.repeat(20_000)}`);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(431);
  });

  it('answers GET with an over-long request line 431 in the API error shape', async () => {
    const res = await send('GET', `/v1/kpis/${'a'.repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'headers_too_large' });
  });
});
