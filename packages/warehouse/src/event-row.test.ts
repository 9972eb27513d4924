import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toClickHouseTime } from './event-row.js';

describe('toClickHouseTime', () => {
  it('converts offsets to UTC with millisecond precision', () => {
    expect(toClickHouseTime('2026-01-05T10:00:00Z')).toBe('2026-01-05 10:00:00.000');
    expect(toClickHouseTime('2026-01-05T10:00:00.5Z')).toBe('2026-01-05 10:00:00.500');
    expect(toClickHouseTime('2026-01-05T10:00:00.123456Z')).toBe('2026-01-05 10:00:00.123');
    expect(toClickHouseTime('2026-01-05T01:30:00+02:00')).toBe('2026-01-04 23:30:00.000');
    expect(toClickHouseTime('2026-01-05T10:00:00.25-05:30')).toBe('2026-01-05 15:30:00.250');
  });

  it('the fast path agrees with Date for every UTC timestamp', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1971-01-01'), max: new Date('2299-12-31'), noInvalidDate: true }),
        (d) => {
          const iso = d.toISOString();
          expect(toClickHouseTime(iso)).toBe(iso.replace('T', ' ').replace('Z', ''));
        },
      ),
    );
  });
});
