import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * A mutual-exclusion lock shared by the processes of the scaled deployment (single Redis instance,
 * `SET key token NX PX ttl`). The holder renews the lease while its work runs, so long work keeps it;
 * a holder that dies loses it after `ttlMs`. Release and renewal only touch the lease when it still
 * holds this holder's token, so a holder whose lease expired can never release a successor's.
 */
export interface RedisLockOptions {
  url: string;
  key: string;
  /** Lease length; renewed every third of it while held. Default 30 s. */
  ttlMs?: number;
  /** How long `run` waits for the lock before giving up. Default 120 s. */
  waitMs?: number;
}

/** Waiting for the lock was given up: the caller's `signal` aborted (a process shutting down). */
export class LockWaitAbortedError extends Error {
  override readonly name = 'LockWaitAbortedError';
  readonly kind = 'unavailable' as const;
}

/** The lock could not be taken: held elsewhere past `waitMs`, or Redis unreachable. Retry later. */
export class LockUnavailableError extends Error {
  override readonly name = 'LockUnavailableError';
  /** Error kind (the HTTP error map answers 503 with Retry-After). */
  readonly kind = 'unavailable' as const;
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export class RedisLock {
  private readonly redis: Redis;
  private readonly ttlMs: number;
  private readonly waitMs: number;

  constructor(private readonly options: RedisLockOptions) {
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
    });
    // Connection errors surface as the failing command's error (LockUnavailableError); without a
    // listener ioredis would also print each reconnect attempt as an unhandled error event.
    this.redis.on('error', () => undefined);
    this.ttlMs = options.ttlMs ?? 30_000;
    this.waitMs = options.waitMs ?? 120_000;
  }

  /**
   * Runs `work` while holding the lock; waits for it (polling) up to `waitMs`. `work` receives `held`,
   * which throws LockUnavailableError once the lease is known lost (a renewal found another holder, or
   * none succeeded for a whole lease): call it before each write that must not run unguarded.
   *
   * `signal` ends the wait: once it aborts (a process closing), `run` stops waiting, never runs `work`
   * and rejects with LockWaitAbortedError. Work already running under the lock is not interrupted.
   */
  async run<T>(work: (held: () => void) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const token = randomBytes(16).toString('hex');
    const deadline = Date.now() + this.waitMs;
    const aborted = () =>
      new LockWaitAbortedError(
        `stopped waiting for lock ${this.options.key}: ${String(signal?.reason ?? 'aborted')}`,
      );
    let pause = 25;
    for (;;) {
      if (signal?.aborted) throw aborted();
      if ((await this.acquire(token)) === 'OK') {
        // Taken just as the caller gave up: hand it back at once.
        if (!signal?.aborted) break;
        await this.redis.eval(RELEASE, 1, this.options.key, token).catch(() => undefined);
        throw aborted();
      }
      if (Date.now() >= deadline) {
        throw new LockUnavailableError(
          `lock ${this.options.key} still held by another process after ${this.waitMs} ms`,
        );
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, pause);
        signal?.addEventListener('abort', done, { once: true });
      });
      pause = Math.min(pause * 2, 500);
    }
    let renewedAt = Date.now();
    let lost = false;
    const renew = setInterval(
      () => {
        this.redis.eval(RENEW, 1, this.options.key, token, String(this.ttlMs)).then(
          (ok) => {
            if (Number(ok) === 1) renewedAt = Date.now();
            else lost = true;
          },
          () => undefined,
        );
      },
      Math.max(10, Math.floor(this.ttlMs / 3)),
    );
    renew.unref();
    const held = () => {
      if (lost || Date.now() - renewedAt >= this.ttlMs) {
        throw new LockUnavailableError(`lock ${this.options.key}: the lease was lost while held`);
      }
    };
    try {
      return await work(held);
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, this.options.key, token).catch(() => undefined);
    }
  }

  private async acquire(token: string): Promise<string | null> {
    try {
      return await this.redis.set(this.options.key, token, 'PX', this.ttlMs, 'NX');
    } catch (error) {
      throw new LockUnavailableError(
        `lock ${this.options.key}: Redis unreachable (${(error as Error).message})`,
      );
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The lock that processes sharing one ClickHouse server take for `name` (scaled deployment); undefined
 * with the embedded engine, whose data directory admits one process at a time anyway.
 */
export function sharedLock(
  config: { storage: { url?: string; database: string }; redis: { url: string } },
  name: string,
): RedisLock | undefined {
  if (!config.storage.url) return undefined;
  return new RedisLock({ url: config.redis.url, key: `shewhart:${config.storage.database}:${name}` });
}
