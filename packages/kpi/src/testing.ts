/**
 * Test helpers for the KPI SQL: a storage-only fixture (a temporary embedded warehouse with the real
 * migrations, the entity states and the one event writer, wired as the embedded runtime wires them,
 * without HTTP, bus or refresher) and the event and point builders the tests share. Not part of the
 * package's runtime API (`@shewhart/kpi/testing`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { validateBatch } from '@shewhart/events';
import {
  EventStore,
  migrate,
  openWarehouse,
  repairDerived,
  type StoreOutcome,
  toEventRow,
  type Warehouse,
} from '@shewhart/warehouse';
import { type KpiPoint, queryKpi } from './query.js';
import { EntityStates, type EntityStatesOptions } from './states/catch-up.js';

export interface KpiWarehouse {
  readonly warehouse: Warehouse;
  readonly client: ClickHouseClient;
  readonly states: EntityStates;
  readonly dataDir: string;
  /**
   * Validates events as the collector does and stores them through the writer; resolves once they are
   * stored (when the API would answer 202). Throws on an invalid event, naming it.
   */
  write(events: unknown): Promise<StoreOutcome>;
  /**
   * Rows straight into `events_raw`, behind the writer (so duplicates it would refuse get in), derived as
   * the writer's next repair derives them, and noted for the entity states as the writer notes a flush.
   */
  insertRaw(events: readonly unknown[]): Promise<void>;
  /** One KPI's points for a query string as the API takes it (`period=week&team=alpha`). */
  points(id: string, query?: string): Promise<KpiPoint[]>;
  dispose(): Promise<void>;
}

/**
 * Opens a fresh warehouse in a temporary directory. One per test file: chDB binds one data directory per
 * process. `states` options as the runtime passes them (`lagMs`: `SHEWHART_CATCHUP_LAG_MS`).
 */
export async function openKpiWarehouse(options: EntityStatesOptions = {}): Promise<KpiWarehouse> {
  const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-kpi-'));
  let warehouse: Warehouse | undefined;
  try {
    warehouse = await openWarehouse({ database: 'shewhart', dataDir });
    await migrate(warehouse.client);
  } catch (error) {
    await warehouse?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { client } = warehouse;
  // This process is the warehouse's only writer and notes every flush, as the embedded runtime does.
  const states = new EntityStates(client, options).trackWrites();
  const store = new EventStore(client, { flushMs: 10, onFlush: () => states.noteWrite() });
  const opened = warehouse;
  return {
    warehouse: opened,
    client,
    states,
    dataDir,
    write: async (events) => {
      const validated = validateBatch(Array.isArray(events) ? events : [events]);
      if (!validated.ok) throw new Error(`invalid events: ${JSON.stringify(validated.errors)}`);
      return store.write(validated.events);
    },
    insertRaw: async (events) => {
      await client.insert({
        table: 'events_raw',
        values: events.map((e) => toEventRow({ specversion: '1.0', ...(e as object) } as never)),
        format: 'JSONEachRow',
      });
      await repairDerived(client, { lagMs: 0 });
      states.noteWrite();
    },
    points: async (id, query = '') =>
      (await queryKpi(states, id, Object.fromEntries(new URLSearchParams(query)))).points,
    dispose: async () => {
      try {
        await store.close();
      } finally {
        await opened.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

let seq = 0;
/** A valid event of the given type with a unique id (override anything). */
export function ev(type: string, data: Record<string, unknown>, over: Record<string, unknown> = {}) {
  seq++;
  return {
    id: `e${seq}`,
    source: 'test/suite',
    type,
    time: '2024-01-03T10:00:00Z',
    team: 'alpha',
    data,
    ...over,
  };
}

/** One expected KPI point, as the API returns it. */
export const pt = (
  periodStart: string,
  value: number | null,
  numerator: number | null,
  denominator: number | null,
  n: number,
  provisional = false,
) => ({ periodStart, value, numerator, denominator, n, provisional });
