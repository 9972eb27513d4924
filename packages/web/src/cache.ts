import type { ClickHouseClient } from '@clickhouse/client';

/** What pages are built from, as two version strings (see `dataVersions`). */
export interface DataVersions {
  /**
   * KPI values, charts and tiles: stored events, baselines, signals, assignable causes and baseline
   * decisions, and the UTC day (periods close as time passes; the shortest, a day, closes at midnight).
   */
  data: string;
  /** Alerts and their acknowledgements. */
  alerts: string;
  /** Kept review packs and review actions. */
  reviews: string;
}

const DATA_TABLES = ['events_raw', 'baselines', 'signals', 'assignable_causes', 'baseline_decisions'];
const ALERT_TABLES = ['alerts', 'alert_acks'];
const REVIEW_TABLES = ['review_packs', 'review_actions'];

/**
 * What the pages read changes only when rows are written to these tables, or a day passes. A table's
 * version is the largest block number of its active parts with its row count, both answered from part
 * metadata (`system.parts`, no column read): one small statement per request.
 *
 * Why block numbers, not row counts alone: `events_raw`, `signals` and `alerts` are ReplacingMergeTrees. A
 * row written again for the same key (an alert resolved, a signal re-detected) adds a row, and a background
 * merge later removes the older one, so the count returns to its earlier value and a page built before the
 * write would be served again, stale, for as long as nothing else is written. Every INSERT commits its
 * rows in a part with a new block number larger than any before it, and a merge keeps the largest of the
 * parts it merges: the largest only grows. (Rows of these tables are only ever inserted, never mutated.)
 */
export async function dataVersions(client: ClickHouseClient, now = new Date()): Promise<DataVersions> {
  const all = [...DATA_TABLES, ...ALERT_TABLES, ...REVIEW_TABLES];
  const rs = await client.query({
    query: `SELECT table, toString(max(max_block_number)) AS block, toString(sum(rows)) AS n
            FROM system.parts
            WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)}
            GROUP BY table`,
    query_params: { tables: all },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ table: string; block: string; n: string }>();
  const byTable = new Map(rows.map((r) => [r.table, `${r.block}:${r.n}`]));
  // A table without parts (nothing written yet) has version 0.
  const versions = all.map((t) => byTable.get(t) ?? '0');
  return {
    data: `${versions.slice(0, DATA_TABLES.length).join('.')}@${now.toISOString().slice(0, 10)}`,
    alerts: versions.slice(DATA_TABLES.length, DATA_TABLES.length + ALERT_TABLES.length).join('.'),
    reviews: versions.slice(DATA_TABLES.length + ALERT_TABLES.length).join('.'),
  };
}

/** A small map of recent page data by key and version (oldest dropped past `max` entries). */
export class PageCache {
  readonly #entries = new Map<string, { version: string; value: Promise<unknown> }>();

  constructor(private readonly max = 64) {}

  get<T>(key: string, version: string, load: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit && hit.version === version) {
      // Most recently used last: the oldest entry is dropped first.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value as Promise<T>;
    }
    const value = load();
    this.#entries.delete(key);
    this.#entries.set(key, { version, value });
    // A failed load is not kept: the next request tries again.
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    while (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as string);
    return value;
  }

  /** The keys held, most recently used last. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
