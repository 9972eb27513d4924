import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, latch } from '../../../test/support/wait.js';
import { LockUnavailableError, RedisLock, sharedLock } from './redis-lock.js';

/** Against the real Redis at 127.0.0.1:6379 (started by .ci/run). */
const URL = 'redis://127.0.0.1:6379';
const key = () => `shewhart-test:lock:${randomBytes(6).toString('hex')}`;
const locks: RedisLock[] = [];
const lockOn = (k: string, opts: { ttlMs?: number; waitMs?: number } = {}) => {
  const l = new RedisLock({ url: URL, key: k, ...opts });
  locks.push(l);
  return l;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await Promise.all(locks.map((l) => l.close()));
});

describe('RedisLock', () => {
  it('lets one holder at a time run, across connections', async () => {
    const k = key();
    const [a, b] = [lockOn(k), lockOn(k)];
    const log: string[] = [];
    const work = (name: string) => async () => {
      log.push(`${name} in`);
      // Held here, so another connection that will not wait is refused at once.
      await expect(lockOn(k, { waitMs: 0 }).run(async () => 'in too')).rejects.toBeInstanceOf(
        LockUnavailableError,
      );
      log.push(`${name} out`);
      return name;
    };
    const results = await Promise.all([a.run(work('a')), b.run(work('b')), a.run(work('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i]?.replace(' in', ' out'));
    expect(log).toHaveLength(6);
  });

  it('releases on failure and keeps the lease while long work runs', async () => {
    const k = key();
    const [a, b] = [lockOn(k, { ttlMs: 150 }), lockOn(k, { ttlMs: 150 })];
    await expect(a.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    let overlapped = false;
    let inside = false;
    const holding = latch();
    const long = a.run(async () => {
      inside = true;
      holding.open();
      await sleep(500); // the work itself lasts > 3 leases: renewed meanwhile
      inside = false;
    });
    await holding.promise;
    await b.run(async () => {
      overlapped = inside;
    });
    await long;
    expect(overlapped).toBe(false);
  });

  it('takes over a lease its dead holder left behind once it expires, and gives up after waitMs', async () => {
    const k = key();
    const redis = new Redis(URL);
    try {
      await redis.set(k, 'a holder that died', 'PX', 300);
      const started = Date.now();
      expect(await lockOn(k).run(async () => 'mine')).toBe('mine');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await redis.set(k, 'a holder that lives', 'PX', 10_000);
      await expect(lockOn(k, { waitMs: 200 }).run(async () => 'never')).rejects.toBeInstanceOf(
        LockUnavailableError,
      );
      // Its release never deletes another holder's lease.
      expect(await redis.get(k)).toBe('a holder that lives');
    } finally {
      await redis.del(k);
      redis.disconnect();
    }
  });

  it('tells the holder when its lease was lost', async () => {
    const k = key();
    const redis = new Redis(URL);
    try {
      const outcome = await lockOn(k, { ttlMs: 150 }).run(async (held) => {
        held(); // still ours
        // Another process took the key (as after an expiry during a long stall): the next renewal finds out.
        await redis.set(k, 'someone else', 'PX', 10_000);
        const error = await eventually(
          'the next renewal to find the lease taken',
          () => {
            try {
              held();
              return undefined;
            } catch (e) {
              return e;
            }
          },
          2_000,
          10,
        );
        return error instanceof LockUnavailableError ? 'lost' : 'other error';
      });
      expect(outcome).toBe('lost');
      expect(await redis.get(k)).toBe('someone else'); // and its release left the other lease alone
    } finally {
      await redis.del(k);
      redis.disconnect();
    }
  });

  it('is only made for a shared ClickHouse server', () => {
    const redis = { url: URL };
    expect(sharedLock({ storage: { database: 'shewhart' }, redis }, 'rollups')).toBeUndefined();
    const lock = sharedLock({ storage: { url: 'http://127.0.0.1:8123', database: 'db1' }, redis }, 'rollups');
    expect(lock).toBeInstanceOf(RedisLock);
    if (lock) locks.push(lock);
  });
});
