/**
 * Who may touch the entity states when, in this process and across processes.
 *
 * Catch-ups must not run concurrently from two processes against one database (a cancelling row could be
 * written twice): the embedded deployment is one process by construction, and in the scaled deployment
 * they take a lock all its processes share (`useLock`, e.g. `RedisLock` of @shewhart/bus).
 *
 * In a process, reads of the states (`reading`) never overlap a catch-up, and work that reads the states
 * and stores conclusions drawn from them (baselines, signals) runs `exclusive`: no catch-up of any process
 * sharing the lock runs meanwhile.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Runs `work` holding a lock shared by processes; `held()` throws once its lease is known lost. */
export type SharedLock = <T>(work: (held: () => void) => Promise<T>) => Promise<T>;

/** An in-process readers–writer lock; a waiting writer goes before readers that arrive after it. */
class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly queue: { write: boolean; go: () => void }[] = [];

  async read<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire(false);
    try {
      return await work();
    } finally {
      this.readers--;
      this.pump();
    }
  }

  async write<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire(true);
    try {
      return await work();
    } finally {
      this.writing = false;
      this.pump();
    }
  }

  private acquire(write: boolean): Promise<void> {
    return new Promise((go) => {
      this.queue.push({ write, go });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.writing) {
      const next = this.queue[0] as { write: boolean; go: () => void };
      if (next.write && this.readers > 0) return;
      this.queue.shift();
      if (next.write) this.writing = true;
      else this.readers++;
      next.go();
    }
  }
}

/** The in-process gate of the entity states and, in the scaled deployment, the lock shared across processes. */
export class StatesGate {
  private readonly lock = new ReadWriteLock();
  private shared: SharedLock | undefined;
  /** Under the shared lock: throws once its lease is lost, checked before every statement. */
  private held: (() => void) | undefined;
  /**
   * What this async context holds: inside `exclusive` the write side and the shared lock, inside
   * `reading` the read side. `active` turns false when the section ends, so a timer or promise started
   * inside and still running later holds nothing.
   */
  private readonly holding = new AsyncLocalStorage<{ mode: 'read' | 'write'; active: boolean }>();

  constructor(shared?: SharedLock) {
    this.shared = shared;
  }

  useLock(shared: SharedLock): void {
    this.shared = shared;
  }

  /** Runs `work` on the read side; a read nested in a read or in exclusive work runs directly. */
  reading<T>(work: () => Promise<T>): Promise<T> {
    const store = this.holding.getStore();
    if (store?.active) return work();
    return this.lock.read(() => this.within('read', work));
  }

  /** Runs `work` on the write side and under the shared lock; nested exclusive work runs directly. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.holdsExclusive('exclusive work')) return work();
    return this.lock.write(() => this.underSharedLock(() => this.within('write', work)));
  }

  /** A catch-up: on the write side and under the shared lock, the context left unmarked. */
  writing<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.write(() => this.underSharedLock(work));
  }

  /**
   * Whether this context holds the exclusive section. Writing (a catch-up, exclusive work) from inside a
   * read would wait for that read to end: a programming error, refused instead of hanging.
   */
  holdsExclusive(what: string): boolean {
    const store = this.holding.getStore();
    if (!store?.active) return false;
    if (store.mode === 'read') throw new Error(`${what} cannot start inside a read of the KPI states`);
    return true;
  }

  /** Under the shared lock: throws `LockUnavailableError` once its lease is known lost. */
  stillHeld(): void {
    this.held?.();
  }

  /** Runs `work` marked as holding `mode`; the mark is cleared when it settles. */
  private async within<T>(mode: 'read' | 'write', work: () => Promise<T>): Promise<T> {
    const store = { mode, active: true };
    try {
      return await this.holding.run(store, work);
    } finally {
      store.active = false;
    }
  }

  private underSharedLock<T>(work: () => Promise<T>): Promise<T> {
    if (!this.shared) return work();
    return this.shared(async (held) => {
      this.held = held;
      try {
        return await work();
      } finally {
        this.held = undefined;
      }
    });
  }
}
