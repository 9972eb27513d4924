import { describe, expect, it } from 'vitest';
import { nextTurn } from '../../../test/support/wait.js';
import { StoreGate } from './store-gate.js';

/** The gate is in-process: a section that yields for a turn lets every other caller queued try meanwhile. */
const tick = nextTurn;

describe('StoreGate', () => {
  it('runs an exclusive section after the shared ones in flight and before later ones', async () => {
    const gate = new StoreGate();
    const log: string[] = [];
    const sharedWrite = (name: string) =>
      gate.shared(async () => {
        log.push(`${name}:start`);
        await tick();
        log.push(`${name}:end`);
      });
    const a = sharedWrite('a');
    const b = sharedWrite('b');
    const x = gate.exclusive(async () => {
      log.push('x:start');
      await tick();
      log.push('x:end');
    });
    const c = sharedWrite('c');
    await Promise.all([a, b, x, c]);
    expect(log.indexOf('x:start')).toBeGreaterThan(log.indexOf('a:end'));
    expect(log.indexOf('x:start')).toBeGreaterThan(log.indexOf('b:end'));
    expect(log.indexOf('c:start')).toBeGreaterThan(log.indexOf('x:end'));
  });

  it('serializes exclusive sections and releases on failure', async () => {
    const gate = new StoreGate();
    let inside = 0;
    let most = 0;
    const section = (fail: boolean) =>
      gate.exclusive(async () => {
        inside++;
        most = Math.max(most, inside);
        await tick();
        inside--;
        if (fail) throw new Error('refused');
      });
    const results = await Promise.allSettled([section(true), section(false), section(true)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    expect(most).toBe(1);
    await expect(gate.shared(async () => 'after')).resolves.toBe('after');
  });
});
