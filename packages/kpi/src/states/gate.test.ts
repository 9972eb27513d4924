import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { latch, nextTurn } from '../../../../test/support/wait.js';
import { EntityStates } from './catch-up.js';

/**
 * The in-process gate of the entity states (reads vs. catch-ups and exclusive work). None of these touch
 * the warehouse: `reading` and `exclusive` only order the work they are given.
 */
const states = () => new EntityStates({} as ClickHouseClient);

describe('the entity states gate', () => {
  it('lets reads share, makes exclusive work wait for them, and holds later reads behind it', async () => {
    const r = states();
    const order: string[] = [];
    const first = latch();
    const a = r.reading(async () => {
      order.push('read 1');
      await first.promise;
      order.push('read 1 done');
    });
    const b = r.reading(async () => order.push('read 2'));
    await nextTurn();
    const w = r.exclusive(async () => order.push('exclusive'));
    const c = r.reading(async () => order.push('read 3'));
    // The gate is in-process: after a turn of the event loop, whatever could run has run.
    await nextTurn();
    expect(order).toEqual(['read 1', 'read 2']);
    first.open();
    await Promise.all([a, b, w, c]);
    expect(order).toEqual(['read 1', 'read 2', 'read 1 done', 'exclusive', 'read 3']);
  });

  it('runs a read nested in a read at once, even with exclusive work waiting', async () => {
    const r = states();
    const order: string[] = [];
    const inOuter = latch();
    const queued = latch();
    const outer = r.reading(async () => {
      inOuter.open();
      await queued.promise;
      await r.reading(async () => order.push('inner read'));
      order.push('outer read done');
    });
    await inOuter.promise;
    const w = r.exclusive(async () => order.push('exclusive'));
    queued.open();
    await Promise.all([outer, w]);
    expect(order).toEqual(['inner read', 'outer read done', 'exclusive']);
  });

  it('refuses to start a catch-up or exclusive work inside a read instead of waiting forever', async () => {
    const r = states();
    await r.reading(async () => {
      await expect(r.catchUp()).rejects.toThrow('cannot start inside a read');
      await expect(r.exclusive(async () => 1)).rejects.toThrow('cannot start inside a read');
    });
  });

  it('runs nested exclusive work and reads directly inside exclusive work', async () => {
    const r = states();
    const got = await r.exclusive(() => r.exclusive(() => r.reading(async () => 42)));
    expect(got).toBe(42);
  });

  it('holds nothing once a section has ended, even in a timer started inside it', async () => {
    const r = states();
    const order: string[] = [];
    const fired = latch();
    const done = latch();
    const timerStarted = latch();
    await r.exclusive(async () => {
      // A timer started inside the section fires after it ended.
      setTimeout(() => {
        fired.open();
        void r.reading(async () => order.push('late read')).then(done.open);
      }, 0);
      timerStarted.open();
    });
    await timerStarted.promise;
    const blocker = latch();
    const w = r.exclusive(async () => {
      order.push('other exclusive');
      await blocker.promise;
      order.push('other exclusive done');
    });
    await fired.promise;
    await nextTurn();
    // The late read holds nothing: it waits for the other exclusive work like any read.
    expect(order).toEqual(['other exclusive']);
    blocker.open();
    await Promise.all([w, done.promise]);
    expect(order).toEqual(['other exclusive', 'other exclusive done', 'late read']);
  });
});
