import { buildReviewPack } from './build.js';
import type { PackSources } from './context.js';
import { packId } from './pack.js';
import { lastClosedQuarter } from './quarter.js';
import { hasEventsBefore, hasPack, savePack } from './store.js';

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface PackSchedulerOptions {
  logger: Log;
  /** How often to look for a closed quarter without a kept pack (default 1 h). */
  intervalMs?: number;
  /** The first look, after start-up (default 5 min: a start with `--demo` loads its history first). */
  firstDelayMs?: number;
  /** Late events settle: a quarter's pack is generated this long after it closed (default 1 day). */
  graceMs?: number;
  now?: () => Date;
}

/**
 * Keeps the organisation's pack of every closed quarter: after a quarter has closed (plus the grace period
 * for late events) the pack is generated once and kept (`review_packs`), in process. The embedded runtime
 * runs one; it never runs two generations at once, and `stop` waits for the one in flight.
 */
export class PackScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(
    private readonly sources: PackSources,
    private readonly options: PackSchedulerOptions,
  ) {}

  start(): void {
    this.#schedule(this.options.firstDelayMs ?? 300_000);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce()
        .catch((error: unknown) =>
          this.options.logger.warn(
            { err: (error as Error).message },
            'review pack generation failed; retried at the next look',
          ),
        )
        .finally(() => {
          this.#running = undefined;
          this.#schedule(this.options.intervalMs ?? 3_600_000);
        });
    }, ms);
    this.#timer.unref();
  }

  /** Generates and keeps the pack of the last closed quarter if none is kept yet; its id, or null. */
  async runOnce(): Promise<string | null> {
    const now = (this.options.now ?? (() => new Date()))();
    const q = lastClosedQuarter(new Date(now.getTime() - (this.options.graceMs ?? 86_400_000)));
    const id = packId(q.id);
    const client = this.sources.states.client;
    if (await hasPack(client, id)) return null;
    // Nothing stored before the quarter's end (a new installation): no pack to keep yet.
    if (!(await hasEventsBefore(client, q.end))) return null;
    const started = Date.now();
    const pack = await buildReviewPack(this.sources, {
      quarter: q.id,
      command: `shewhart report --quarter ${q.id} --format json (scheduled after the quarter closed)`,
      now,
    });
    if (this.#stopped) return null;
    await savePack(client, pack, 'schedule');
    this.options.logger.info({ pack: id, ms: Date.now() - started }, 'review pack generated and kept');
    return id;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
