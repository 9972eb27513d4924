import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';

type Runtime = Awaited<ReturnType<typeof startTestRuntime>>;
let rt: Runtime;

beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_MAX_BODY_BYTES: '20000' });
});
afterAll(async () => {
  await rt.dispose();
});

async function countStored(): Promise<number> {
  const rs = await rt.warehouse.client.query({
    query: 'SELECT count() AS c FROM events_raw FINAL',
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ c: string }>();
  return Number(row?.c);
}

const defect = (id: string, over: Record<string, unknown> = {}) =>
  ev(
    'defect.reported',
    { defectId: id, severity: 'major', detectionActivity: 'system_test' },
    { id, ...over },
  );

describe('POST /v1/events (embedded)', () => {
  it('accepts one event, an array and NDJSON, and stores them', async () => {
    const before = await countStored();
    const one = await rt.post(defect('single-1'));
    expect(one.status).toBe(202);
    expect(await one.json()).toEqual({ accepted: 1, duplicates: 0 });

    const arr = await rt.post([defect('arr-1'), defect('arr-2')]);
    expect(await arr.json()).toEqual({ accepted: 2, duplicates: 0 });

    const nd = await rt.post(`${JSON.stringify(defect('nd-1'))}\n\n${JSON.stringify(defect('nd-2'))}\n`, {
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(nd.status).toBe(202);
    expect(await nd.json()).toEqual({ accepted: 2, duplicates: 0 });
    // 202 means durably stored: the rows are queryable the moment the answer arrives.
    expect(await countStored()).toBe(before + 5);
  });

  it('stores the same (source, id) once, within a batch and across posts', async () => {
    const before = await countStored();
    const batch = [
      defect('dup-1'),
      defect('dup-2'),
      defect('dup-1', { data: { defectId: 'x', severity: 'minor', detectionActivity: 'production' } }),
    ];
    expect(await (await rt.post(batch)).json()).toEqual({ accepted: 3, duplicates: 1 });
    expect(await (await rt.post(batch)).json()).toEqual({ accepted: 3, duplicates: 3 });
    // Same id from another source is another event.
    expect(await (await rt.post(defect('dup-1', { source: 'other/source' }))).json()).toEqual({
      accepted: 1,
      duplicates: 0,
    });
    expect(await countStored()).toBe(before + 3);
    // The first version of dup-1 was kept.
    const rs = await rt.warehouse.client.query({
      query:
        "SELECT JSONExtractString(data, 'severity') AS s FROM events_raw WHERE source = 'test/suite' AND id = 'dup-1'",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ s: 'major' }]);
  });

  it('rejects a batch with one bad event whole, naming index and field', async () => {
    const before = await countStored();
    const res = await rt.post([
      defect('ok-1'),
      defect('bad-1', { data: { defectId: 'b', severity: 'catastrophic', detectionActivity: 'unit_test' } }),
    ]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { index: number; path: unknown[]; message: string }[] };
    expect(body.errors).toEqual([
      { index: 1, path: ['data', 'severity'], message: expect.stringContaining('critical') },
    ]);
    expect(await countStored()).toBe(before);
  });

  it('reports NDJSON positions and invalid JSON', async () => {
    const res = await rt.post(`${JSON.stringify(defect('n-ok'))}\n{"id": oops}\n`, {
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { index: number; path: unknown[] }[] };
    expect(body.errors[0]).toMatchObject({ index: 1, path: [] });
    const notJson = await rt.post('this is not json');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('keeps unknown fields and applies envelope defaults', async () => {
    const e = { ...defect('unknown-1'), team: undefined, vendorField: { a: 1 } };
    e.data = { ...e.data, extraInfo: 'kept' } as typeof e.data;
    expect((await rt.post(e)).status).toBe(202);
    const rs = await rt.warehouse.client.query({
      query: "SELECT team, specversion, data, extra FROM events_raw WHERE id = 'unknown-1'",
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ team: string; specversion: string; data: string; extra: string }>();
    expect(row?.team).toBe('default');
    expect(row?.specversion).toBe('1.0');
    expect(JSON.parse(row?.data ?? '{}')).toMatchObject({
      extraInfo: 'kept',
      introducedPhase: 'unknown',
      reportedBy: 'internal',
    });
    expect(JSON.parse(row?.extra ?? '{}')).toEqual({ vendorField: { a: 1 } });
  });

  it('answers 413 over the size limit and 415 for other content types, storing nothing', async () => {
    const before = await countStored();
    const big = Array.from({ length: 200 }, (_, i) => defect(`big-${i}`));
    expect((await rt.post(big)).status).toBe(413);
    const res = await rt.post('id,source', { headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(415);
    expect(await countStored()).toBe(before);
  });

  it('serves health, readiness and metrics', async () => {
    expect((await fetch(`${rt.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${rt.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metrics).toMatch(/shewhart_ingest_events_total\{outcome="accepted"\} \d+/);
    expect(metrics).toMatch(/shewhart_worker_events_total\{outcome="duplicate"\} [1-9]/);
  });
});
