import { DebouncedTask } from '@shewhart/config';
import type { EntityStates, Grain } from '@shewhart/kpi';
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
  readonly #task: DebouncedTask;

  constructor(
    private readonly states: EntityStates,
    private readonly options: {
      delayMs?: number;
      grains?: readonly Grain[];
      logger?: RefresherLogger;
      /** Called after each refresh that completed (alert evaluation hooks in here). */
      onRefreshed?: () => Promise<void>;
    } = {},
  ) {
    this.#task = new DebouncedTask(() => this.#run(), options.delayMs ?? 10_000);
  }

  /** Data changed: refresh after the quiet period. */
  notify(): void {
    this.#task.notify();
  }

  async #run(): Promise<void> {
    const started = Date.now();
    try {
      const r = await refreshAll(this.states, { grains: this.options.grains });
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
      await this.options.onRefreshed?.();
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'baseline refresh failed');
    }
  }

  /** Cancels a pending refresh and waits for one in progress (called before the warehouse closes). */
  stop(): Promise<void> {
    return this.#task.stop();
  }
}
