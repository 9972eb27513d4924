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
 * What the pages read changes only when rows are added to these tables, or a day passes. Their row counts
 * (answered from table metadata, without reading data) make the versions a page built earlier is kept
 * for: one small statement per request.
 */
export async function dataVersions(client: ClickHouseClient, now = new Date()): Promise<DataVersions> {
  const all = [...DATA_TABLES, ...ALERT_TABLES, ...REVIEW_TABLES];
  const rs = await client.query({
    query: `SELECT ${all.map((t, i) => `(SELECT count() FROM ${t}) AS c${i}`).join(', ')}`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<Record<string, string | number>>();
  const counts = all.map((_t, i) => String(row?.[`c${i}`] ?? ''));
  return {
    data: `${counts.slice(0, DATA_TABLES.length).join('.')}@${now.toISOString().slice(0, 10)}`,
    alerts: counts.slice(DATA_TABLES.length, DATA_TABLES.length + ALERT_TABLES.length).join('.'),
    reviews: counts.slice(DATA_TABLES.length + ALERT_TABLES.length).join('.'),
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
