import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './catalogue.js';
import { signature } from './payload.js';
import { quietUntil } from './quiet-hours.js';

describe('signature', () => {
  it('is sha256= and the hex HMAC-SHA256 of the raw body (RFC 4231 test case 2)', () => {
    expect(signature('what do ya want for nothing?', 'Jefe')).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    const body = '{"a":1}';
    expect(signature(body, 'k')).toBe(`sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
  });
});

describe('quietUntil', () => {
  const q = { from: '22:00', to: '07:00', tz: 'Europe/Berlin' };
  it('holds a delivery inside quiet hours until they end, in the route time zone', () => {
    // 23:30 Berlin (CET, UTC+1) → 07:00 Berlin = 06:00 UTC.
    expect(quietUntil(q, new Date('2026-01-14T22:30:00Z'))?.toISOString()).toBe('2026-01-15T06:00:00.000Z');
    // Summer time (CEST, UTC+2): 05:00 Berlin → 07:00 Berlin = 05:00 UTC.
    expect(quietUntil(q, new Date('2026-07-14T03:00:00Z'))?.toISOString()).toBe('2026-07-14T05:00:00.000Z');
  });
  it('sends at once outside quiet hours or without them', () => {
    expect(quietUntil(q, new Date('2026-01-14T12:00:00Z'))).toBeNull();
    expect(quietUntil(undefined, new Date())).toBeNull();
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, with the jitter share random', () => {
    expect(backoffDelay(1, 1000, 0.5, () => 0)).toBe(500);
    expect(backoffDelay(1, 1000, 0.5, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 0.5, () => 1)).toBe(4000);
    expect(backoffDelay(40, 1000, 0, () => 0)).toBe(3_600_000);
  });
});
