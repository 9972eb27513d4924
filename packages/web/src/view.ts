import { scopeOf, seriesQuery } from '@shewhart/objectives';
import { listActions, listPacks, loadPack, type ReviewAction, type ReviewPack } from '@shewhart/report';
import { type DataVersions, dataVersions, PageCache } from './cache.js';
import {
  type ChartPage,
  type ChartPageQuery,
  cleanQuery,
  loadChartPage,
  narrowChartPage,
  parseChartQuery,
} from './chart-page.js';
import type { WebAlert, WebContext } from './context.js';
import { loadOverview, loadTiles, type Overview, type Tiles } from './overview.js';

export interface WebViewOptions {
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Chart pages (besides the objectives' own) kept ready after each refresh: the most recently viewed. */
  warmCharts?: number;
  /**
   * How long a read of the data versions answers for later requests (default 500 ms): a burst of page
   * requests costs one metadata statement, and none waits behind the engine's other work. A form of the
   * web view that writes (acknowledge, record an action) reads them again at once (`invalidate`).
   */
  versionTtlMs?: number;
  now?: () => Date;
}

/** A chart page's cache key: its cleaned query with the parameters in a fixed order. */
export function chartKey(q: ChartPageQuery): string {
  const clean = cleanQuery(q) as Record<string, string>;
  return `chart:${JSON.stringify(
    Object.fromEntries(
      Object.keys(clean)
        .sort()
        .map((k) => [k, clean[k]]),
    ),
  )}`;
}

const utcDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * What the web view's pages read, kept for as long as it stays true. Every page is built from data whose
 * version (`dataVersions`: each table's latest block number and row count, and the UTC day) it was built
 * for, and served from memory while the version holds — a GET only reads, and a repeated page costs one
 * metadata statement.
 *
 * `prepare()` is the refresher's part (the embedded runtime calls it after each baseline and signal
 * refresh, and once at start): it evaluates the objectives' tiles — the overview's one expensive part —
 * and builds the overview and the charts the overview links to, plus the chart pages viewed most recently,
 * for the data as it is now. The first request after a refresh then finds its page built. Tiles prepared
 * today stay in force until the next preparation (new events reach the tiles with the refresh that follows
 * them, as they reach limits and signals); without a preparer (the scaled collector, whose refreshes run in
 * the worker) or on a new day, the request that needs them evaluates them once for the data version.
 */
export class WebView {
  readonly #cache = new PageCache(96);
  #tiles: Tiles | undefined;
  #preparing: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #versions: { at: number; value: Promise<DataVersions> } | undefined;
  readonly #rendered = new WeakMap<object, Map<string, string>>();
  readonly #now: () => Date;

  constructor(
    readonly ctx: WebContext,
    private readonly options: WebViewOptions = {},
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  /** The data versions, read at most once per `versionTtlMs`. */
  versions(): Promise<DataVersions> {
    const at = performance.now();
    const memo = this.#versions;
    if (memo && at - memo.at < (this.options.versionTtlMs ?? 500)) return memo.value;
    const value = dataVersions(this.ctx.states.client, this.#now());
    const entry = { at, value };
    this.#versions = entry;
    value.catch(() => {
      if (this.#versions === entry) this.#versions = undefined;
    });
    return value;
  }

  /** Something was written through this server: the next request reads the versions again. */
  invalidate(): void {
    this.#versions = undefined;
  }

  /**
   * A page's HTML, rendered once per data object (pages kept for a version share the object) and variant
   * (e.g. signed in, may decide): a 1 MB review pack is not rendered again for every request.
   */
  render(data: object, variant: string, render: () => string): string {
    let byVariant = this.#rendered.get(data);
    if (!byVariant) {
      byVariant = new Map();
      this.#rendered.set(data, byVariant);
    }
    let html = byVariant.get(variant);
    if (html === undefined) {
      html = render();
      byVariant.set(variant, html);
    }
    return html;
  }

  /** The tiles to show: prepared today, else evaluated once for the data version. */
  async #tilesFor(dataVersion: string): Promise<Tiles> {
    const prepared = this.#tiles;
    if (prepared && utcDay(prepared.asOf) === utcDay(this.#now())) return prepared;
    return this.#cache.get('tiles', dataVersion, () => loadTiles(this.ctx, this.#now()));
  }

  async overview(): Promise<Overview> {
    const v = await this.versions();
    const tiles = await this.#tilesFor(v.data);
    return this.#cache.get('overview', `${v.data}|${v.alerts}|${v.reviews}|${tiles.asOf.toISOString()}`, () =>
      loadOverview(this.ctx, tiles),
    );
  }

  async chartPage(query: ChartPageQuery): Promise<ChartPage> {
    // A bad parameter (a range's `from`, say) is refused before the whole series' page is built.
    parseChartQuery(query);
    const q = cleanQuery(query);
    const v = await this.versions();
    const { from, to, ...series } = q;
    if (from === undefined && to === undefined)
      return this.#cache.get(chartKey(q), v.data, () => loadChartPage(this.ctx, q));
    // A range narrows the page of the whole series (built once, or prepared): choosing a range is cheap.
    return this.#cache.get(chartKey(q), v.data, async () =>
      narrowChartPage(
        await this.#cache.get(chartKey(series), v.data, () => loadChartPage(this.ctx, series)),
        q,
      ),
    );
  }

  /** Firing alerts (up to 200) and the latest resolved ones (50); null lists when alerts are not deployed. */
  async alerts(): Promise<[WebAlert[] | null, WebAlert[]]> {
    const port = this.ctx.alerts;
    if (!port) return [null, []];
    const v = await this.versions();
    return this.#cache.get('alerts', v.alerts, () =>
      Promise.all([port.list({ state: 'firing', limit: 200 }), port.list({ state: 'resolved', limit: 50 })]),
    );
  }

  async packs() {
    const v = await this.versions();
    return this.#cache.get('packs', v.reviews, () => listPacks(this.ctx.states.client));
  }

  async pack(id: string): Promise<[ReviewPack, ReviewAction[]]> {
    const v = await this.versions();
    return this.#cache.get(`pack:${id}`, v.reviews, () =>
      Promise.all([
        loadPack(this.ctx.states.client, id),
        listActions(this.ctx.states.client, { packId: id }),
      ]),
    );
  }

  /**
   * Prepares the pages for the data as it is now (see the class). One preparation at a time; a call while
   * one runs makes one more run after it, for the data that arrived meanwhile.
   */
  prepare(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#preparing) {
      this.#again = true;
      return this.#preparing;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        const started = performance.now();
        try {
          await this.#prepareNow();
          this.options.logger?.info({ ms: Math.round(performance.now() - started) }, 'web view prepared');
        } catch (error) {
          this.options.logger?.warn({ err: error }, 'web view preparation failed');
        }
      } while (this.#again && !this.#closed);
    };
    this.#preparing = run().finally(() => {
      this.#preparing = undefined;
    });
    return this.#preparing;
  }

  async #prepareNow(): Promise<void> {
    this.invalidate();
    const v = await this.versions();
    const tiles = await loadTiles(this.ctx, this.#now());
    this.#tiles = tiles;
    await this.#cache.get('overview', `${v.data}|${v.alerts}|${v.reviews}|${tiles.asOf.toISOString()}`, () =>
      loadOverview(this.ctx, tiles),
    );
    // The charts the tiles open, then those viewed most recently.
    const objectiveCharts = (this.ctx.objectives?.objectives ?? []).map((o): ChartPageQuery => {
      const s = scopeOf(o);
      const q = seriesQuery(o);
      return { kpi: o.kpi, period: o.period, team: s.team, project: s.project, unit: q.unit, phase: q.phase };
    });
    const seen = new Set<string>();
    const own = new Set(objectiveCharts.map(chartKey));
    const recent = this.#cache
      .keys()
      .filter((k) => k.startsWith('chart:') && !own.has(k))
      .reverse()
      .slice(0, this.options.warmCharts ?? 8)
      .map((k) => {
        // The whole series: its ranges narrow it on request.
        const { from: _f, to: _t, ...series } = JSON.parse(k.slice('chart:'.length)) as ChartPageQuery;
        return series;
      });
    for (const q of [...objectiveCharts, ...recent]) {
      if (this.#closed) return;
      const key = chartKey(q);
      if (seen.has(key)) continue;
      seen.add(key);
      await this.#cache.get(key, v.data, () => loadChartPage(this.ctx, cleanQuery(q))).catch(() => undefined);
    }
  }

  /** The keys of the pages held (`chartKey` for charts), most recently used last. */
  held(): string[] {
    return this.#cache.keys();
  }

  /** Prepares again at each UTC midnight, when periods close (the embedded runtime starts it). */
  prepareDaily(): void {
    if (this.#closed) return;
    const now = this.#now();
    const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 0, 0, 5);
    this.#timer = setTimeout(() => {
      void this.prepare().finally(() => this.prepareDaily());
    }, next - now.getTime());
    this.#timer.unref();
  }

  /** Stops preparing and waits for a preparation in progress (before the warehouse closes). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#preparing;
  }
}
