import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateBatch } from '@shewhart/events';
import { EventStore, migrate, openWarehouse, toEventRow, type Warehouse } from '@shewhart/warehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev } from './support/embedded.js';

let dir: string;
let wh: Warehouse;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shewhart-writer-'));
  wh = await openWarehouse({ dataDir: dir, database: 'shewhart' });
  await migrate(wh.client);
});
afterAll(async () => {
  await wh.close();
  rmSync(dir, { recursive: true, force: true });
});

const events = (prefix: string, n: number) => {
  const r = validateBatch(
    Array.from({ length: n }, (_, i) =>
      ev('defect.reopened', { defectId: `${prefix}${i}` }, { id: `${prefix}${i}` }),
    ),
  );
  if (!r.ok) throw new Error('fixture invalid');
  return r.events;
};

async function stored(prefix: string): Promise<number> {
  const rs = await wh.client.query({
    query: 'SELECT count() AS c FROM events_raw WHERE startsWith(id, {p:String})',
    query_params: { p: prefix },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ c: unknown }>())[0]?.c);
}

describe('EventStore (the batched writer)', () => {
  it('flushes as soon as the buffered rows reach flushRows, merging concurrent writers', async () => {
    // flushMs is far beyond the test timeout: only the size trigger can resolve these writes.
    const store = new EventStore(wh.client, { flushRows: 100, flushMs: 3_600_000 });
    const [a, b] = await Promise.all([store.write(events('size-a', 50)), store.write(events('size-b', 60))]);
    expect(a).toEqual({ stored: 50, duplicates: 0 });
    expect(b).toEqual({ stored: 60, duplicates: 0 });
    expect(await stored('size-')).toBe(110);
    await store.close();
  });

  it('flushes after flushMs when the buffer stays small', async () => {
    const store = new EventStore(wh.client, { flushRows: 1_000_000, flushMs: 10 });
    expect(await store.write(events('time-', 3))).toEqual({ stored: 3, duplicates: 0 });
    await store.close();
  });

  it('flushes everything buffered on close, then refuses writes', async () => {
    const store = new EventStore(wh.client, { flushRows: 1_000_000, flushMs: 3_600_000 });
    const pending = store.write(events('close-', 10));
    expect(store.bufferedRows).toBe(10);
    const closing = store.close();
    // A write racing the close is refused (never acknowledged), not left waiting for a flush.
    await expect(store.write(events('racing-', 1))).rejects.toThrow(/closed/);
    await closing;
    expect(await pending).toEqual({ stored: 10, duplicates: 0 });
    expect(await stored('racing-')).toBe(0);
    expect(await stored('close-')).toBe(10);
    await expect(store.write(events('late-', 1))).rejects.toThrow(/closed/);
  });

  it('counts duplicates within a flush and against storage', async () => {
    const store = new EventStore(wh.client, { flushRows: 1_000_000, flushMs: 5 });
    const batch = events('dup-', 5);
    const [x, y] = await Promise.all([store.write(batch), store.write(batch.slice(0, 2))]);
    expect(x).toEqual({ stored: 5, duplicates: 0 });
    expect(y).toEqual({ stored: 0, duplicates: 2 });
    expect(await store.write(batch)).toEqual({ stored: 0, duplicates: 5 });
    expect(await stored('dup-')).toBe(5);
    await store.close();
  });

  it('fails the waiting writers on a non-transient error and stores nothing of the batch', async () => {
    const store = new EventStore(wh.client, { flushRows: 1_000_000, flushMs: 5 });
    const rows = events('bad-', 2).map(toEventRow);
    const bad = rows.map((r, i) => (i === 1 ? { ...r, time: 'not a time' } : r));
    await expect(store.writeRows(bad)).rejects.toThrow();
    expect(await stored('bad-')).toBe(0);
    await store.close();
  });
});
