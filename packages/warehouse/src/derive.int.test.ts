import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ShewhartEvent, validateBatch } from '@shewhart/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse, type Warehouse } from './client.js';
import { findMissing, holdRollupWatermark, repairDerived } from './derive.js';
import { toEventRow } from './event-row.js';
import { EventStore } from './event-store.js';
import { migrate } from './migrate.js';

let dir: string;
let wh: Warehouse;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shewhart-derive-'));
  wh = await openWarehouse({ dataDir: dir, database: 'shewhart' });
  await migrate(wh.client);
});
afterAll(async () => {
  await wh?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One event of each derived kind per index, ids prefixed (defect, deployment, incident, review, survey, change). */
function events(prefix: string, n: number): ShewhartEvent[] {
  const time = '2026-03-02T10:00:00Z';
  const raw = Array.from({ length: n }, (_, i) => [
    {
      type: 'defect.reported',
      data: { defectId: `${prefix}d${i}`, severity: 'major', detectionActivity: 'code_review' },
    },
    {
      type: 'delivery.deployment',
      data: { deploymentId: `${prefix}x${i}`, environment: 'production', status: 'success' },
    },
    { type: 'delivery.incident.opened', data: { incidentId: `${prefix}i${i}` } },
    {
      type: 'review.completed',
      data: {
        reviewId: `${prefix}r${i}`,
        workProductType: 'code',
        sizeReviewed: 100,
        sizeUnit: 'loc',
        defectsFound: 1,
      },
    },
    { type: 'feedback.survey', data: { scale: 'nps_0_10', score: i % 11 } },
    { type: 'process.changed', data: { changeId: `${prefix}p${i}`, kpi: '*', description: 'x' } },
  ])
    .flat()
    .map((e, k) => ({ ...e, id: `${prefix}${k}`, source: 'test/derive', time, team: 'alpha' }));
  const r = validateBatch(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.events;
}

/** Per table: rows, distinct (source, id), for the prefix; and the rows events_raw says each should hold. */
async function tally(prefix: string) {
  const rs = await wh.client.query({
    query: `SELECT
      (SELECT count() FROM events_raw WHERE startsWith(id, {p:String})) AS raw,
      (SELECT uniqExact(source, id) FROM events_raw WHERE startsWith(id, {p:String})) AS raw_keys,
      (SELECT count() FROM event_keys WHERE startsWith(id, {p:String})) AS keys,
      (SELECT count() FROM defect_events WHERE startsWith(id, {p:String})) AS defect,
      (SELECT count() FROM delivery_events WHERE startsWith(id, {p:String})) AS delivery,
      (SELECT count() FROM quality_events WHERE startsWith(id, {p:String})) AS quality`,
    query_params: { p: prefix },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<Record<string, string>>();
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}

const exact = (n: number) => ({
  raw: 6 * n,
  raw_keys: 6 * n,
  keys: 6 * n,
  defect: n,
  delivery: 2 * n,
  quality: 2 * n,
});

describe('derived tables', () => {
  it('are written by the flush that stores the events, before it acknowledges', async () => {
    const store = new EventStore(wh.client, { flushMs: 1 });
    expect(await store.write(events('a-', 20))).toEqual({ stored: 120, duplicates: 0 });
    expect(await tally('a-')).toEqual(exact(20));
    await store.close();
  });

  it('are repaired before the retry of a flush that died between its insert and its derive', async () => {
    const batch = events('b-', 30);
    const dying = new EventStore(wh.client, {
      flushMs: 1,
      afterInsert: () => {
        throw new Error('simulated crash after the insert into events_raw');
      },
    });
    await expect(dying.write(batch)).rejects.toThrow(/simulated crash/);
    expect(await tally('b-')).toMatchObject({ raw: 180, keys: 0, defect: 0, delivery: 0, quality: 0 });
    const missing = await findMissing(wh.client);
    expect(missing.count).toBe(180);

    // The restarted writer repairs before its first duplicate check; the retry then finds every event
    // stored (duplicates), and nothing is written twice.
    const repairs: number[] = [];
    const restarted = new EventStore(wh.client, { flushMs: 1, onRepair: (r) => repairs.push(r.repaired) });
    expect(await restarted.write(batch)).toEqual({ stored: 0, duplicates: 180 });
    expect(repairs).toEqual([180]);
    expect(await tally('b-')).toEqual(exact(30));
    await restarted.close();
  });

  it('repair only what each table misses (a fan-out cut short), and nothing when nothing is missing', async () => {
    const rows = events('c-', 10).map(toEventRow);
    await wh.client.insert({ table: 'events_raw', values: rows, format: 'JSONEachRow' });
    // As if the derive died after its views wrote event_keys and defect_events (bits 0 and 1) only.
    await wh.client.insert({
      table: 'derive_feed',
      values: rows.map((r) => ({ ...r, targets: 0b0011 })),
      format: 'JSONEachRow',
    });
    expect(await tally('c-')).toMatchObject({ keys: 60, defect: 10, delivery: 0, quality: 0 });
    const report = await repairDerived(wh.client);
    expect(report.repaired).toBe(40);
    expect(await tally('c-')).toEqual(exact(10));
    expect((await repairDerived(wh.client)).repaired).toBe(0);
    expect(await tally('c-')).toEqual(exact(10));
  });

  it('check events_raw itself for duplicates, so a lagging derived table cannot double an event', async () => {
    const store = new EventStore(wh.client, { flushMs: 1 });
    await store.write(events('warm-', 1)); // the start-up repair is behind us
    const batch = events('d-', 5);
    await wh.client.insert({ table: 'events_raw', values: batch.map(toEventRow), format: 'JSONEachRow' });
    expect(await store.write(batch)).toEqual({ stored: 0, duplicates: 30 });
    expect(await tally('d-')).toMatchObject({ raw: 30, raw_keys: 30 });
    await store.close();
    await repairDerived(wh.client, { lagMs: 0 });
  });

  it('hold the entity states behind an underived event, and move them back for one repaired late', async () => {
    const rows = events('e-', 3).map(toEventRow);
    await wh.client.insert({ table: 'events_raw', values: rows, format: 'JSONEachRow' });
    const rs = await wh.client.query({
      query: `SELECT toString(min(ingested_at)) AS t, toString(now64(3, 'UTC') + INTERVAL 1 HOUR) AS later
        FROM events_raw WHERE startsWith(id, 'e-')`,
      format: 'JSONEachRow',
    });
    const [{ t, later }] = (await rs.json<{ t: string; later: string }>()) as [{ t: string; later: string }];
    const held = await holdRollupWatermark(wh.client, '1970-01-01 00:00:00.000', later);
    expect(held.held).toBe(true);
    expect(held.watermark < t).toBe(true);

    // The states have already passed these events (as in a directory from before the derive step).
    await wh.client.insert({
      table: 'rollup_watermark',
      values: [{ id: 1, watermark: later }],
      format: 'JSONEachRow',
    });
    const report = await repairDerived(wh.client);
    expect(report).toMatchObject({ repaired: 18, rollupsRewound: true });
    const ws = await wh.client.query({
      query: 'SELECT toString(max(watermark)) AS w FROM rollup_watermark',
      format: 'JSONEachRow',
    });
    expect(String((await ws.json<{ w: string }>())[0]?.w) < t).toBe(true);
    expect(await tally('e-')).toEqual(exact(3));
    expect((await holdRollupWatermark(wh.client, '1970-01-01 00:00:00.000', later)).held).toBe(false);
  });
});
