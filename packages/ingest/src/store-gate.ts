/**
 * Shared/exclusive access to the event writer. Batches of several partitions write at the same time
 * and share flushes; a failed flush fails all of them. Isolating a refused message (bisecting a batch)
 * must then run alone: were another partition's rows in the same flush, a good event could fail next
 * to someone else's poison and be dead-lettered wrongly.
 */
export class StoreGate {
  #shared = 0;
  #exclusive: Promise<void> | undefined;
  #drained: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    this.#shared++;
    try {
      return await fn();
    } finally {
      this.#shared--;
      if (this.#shared === 0) for (const wake of this.#drained.splice(0)) wake();
    }
  }

  /** Waits for the writes in flight to settle, holds new ones back, runs `fn` alone. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive;
    let release: () => void = () => {};
    this.#exclusive = new Promise<void>((r) => {
      release = r;
    });
    try {
      if (this.#shared > 0) await new Promise<void>((r) => this.#drained.push(r));
      return await fn();
    } finally {
      this.#exclusive = undefined;
      release();
    }
  }
}
