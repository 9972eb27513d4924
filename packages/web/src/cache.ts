import type { ClickHouseClient } from '@clickhouse/client';

/**
 * What the pages read changes only when events, baselines, signals, alerts or kept packs change. Their
 * row counts (answered from table metadata, without reading data) make a version: a page built for the
 * same version and within the same minute (periods close as time passes) is served from memory. This keeps
 * a repeated page well under 200 ms on the demo, where its KPI queries alone take several hundred.
 */
export async function dataVersion(client: ClickHouseClient): Promise<string> {
  const rs = await client.query({
    query: `SELECT (SELECT count() FROM events_raw) AS e, (SELECT count() FROM signals) AS s,
                   (SELECT count() FROM baselines) AS b, (SELECT count() FROM alerts) AS a,
                   (SELECT count() FROM alert_acks) AS k, (SELECT count() FROM review_packs) AS p,
                   (SELECT count() FROM review_actions) AS r`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<Record<string, string | number>>();
  return `${Object.values(row ?? {}).join('.')}@${Math.floor(Date.now() / 60_000)}`;
}

/** A small map of recent page data by key and version (oldest dropped past `max` entries). */
export class PageCache {
  readonly #entries = new Map<string, { version: string; value: Promise<unknown> }>();

  constructor(private readonly max = 64) {}

  get<T>(key: string, version: string, load: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit && hit.version === version) return hit.value as Promise<T>;
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
}
