/**
 * A background job that runs after a quiet period once something changed, never twice at once: changes
 * during a run mark it dirty and schedule one more run. Used for the inline jobs of the embedded default
 * (entity-state catch-up, baseline refresh) and the same jobs in the scaled worker.
 */
export class DebouncedTask {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #dirty = false;
  #stopped = false;

  /** `run` must not throw (it reports its own failures). */
  constructor(
    private readonly run: () => Promise<void>,
    private readonly delayMs: number,
  ) {}

  /** Something changed: run after the quiet period. */
  notify(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    if (this.#timer || this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dirty = false;
      this.#running = this.run().finally(() => {
        this.#running = undefined;
        if (this.#dirty) this.notify();
      });
    }, this.delayMs);
    this.#timer.unref();
  }

  /** Cancels a pending run and waits for one in progress (call before closing what it uses). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
