import type { ClickHouseClient } from '@clickhouse/client';
import type { Grain } from '@shewhart/kpi';
import { refreshAll } from './refresh.js';

export interface RefresherLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Keeps baselines and signals current as events arrive (the embedded default's inline job; the scaled
 * deployment runs the same refresh from a scheduled job). New data only mark the refresher dirty; one
 * refresh of every default series runs after a quiet period, never two at once.
 */
export class BaselineRefresher {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #stopped = false;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly options: { delayMs?: number; grains?: readonly Grain[]; logger?: RefresherLogger } = {},
  ) {}

  /** Data changed: refresh after the quiet period. */
  notify(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    if (this.#timer || this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
        if (this.#dirty) this.notify();
      });
    }, this.options.delayMs ?? 10_000);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    this.#dirty = false;
    const started = Date.now();
    try {
      const r = await refreshAll(this.client, { grains: this.options.grains });
      this.options.logger?.info(
        {
          series: r.series,
          newVersions: r.newVersions,
          signals: r.signals,
          failed: r.failed.length,
          ms: Date.now() - started,
        },
        'baselines refreshed',
      );
      for (const f of r.failed)
        this.options.logger?.warn({ series: f.key, error: f.error }, 'baseline refresh failed');
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'baseline refresh failed');
    }
  }

  /** Cancels a pending refresh and waits for one in progress (called before the warehouse closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
