/**
 * Calendar quarters in UTC, the period of a management review (`2026-Q3`). `from`/`to` are the first and
 * last day; `end` is the exclusive end instant (the next quarter's first midnight), the pack's "as of".
 */
export interface Quarter {
  id: string;
  year: number;
  q: 1 | 2 | 3 | 4;
  from: string;
  to: string;
  start: Date;
  end: Date;
}

const ID = /^(\d{4})-Q([1-4])$/;

export class InvalidQuarterError extends Error {
  override readonly name = 'InvalidQuarterError';
  readonly kind = 'invalid' as const;
}

export function quarterOf(year: number, q: number): Quarter {
  const start = new Date(Date.UTC(year, (q - 1) * 3, 1));
  const end = new Date(Date.UTC(year, q * 3, 1));
  return {
    id: `${year}-Q${q}`,
    year,
    q: q as Quarter['q'],
    from: ymd(start),
    to: ymd(new Date(end.getTime() - 86_400_000)),
    start,
    end,
  };
}

/** Parses `YYYY-Qn`; anything else is an `invalid` error naming the expected form. */
export function parseQuarter(id: string): Quarter {
  const m = ID.exec(id.trim());
  if (!m) throw new InvalidQuarterError(`quarter must look like 2026-Q3 (got "${id}")`);
  const year = Number(m[1]);
  if (year < 1970 || year > 2148) throw new InvalidQuarterError(`quarter year out of range: ${id}`);
  return quarterOf(year, Number(m[2]));
}

export function previousQuarter(q: Quarter): Quarter {
  return q.q === 1 ? quarterOf(q.year - 1, 4) : quarterOf(q.year, q.q - 1);
}

export function nextQuarter(q: Quarter): Quarter {
  return q.q === 4 ? quarterOf(q.year + 1, 1) : quarterOf(q.year, q.q + 1);
}

/** The quarter containing `t`. */
export function quarterContaining(t: Date): Quarter {
  return quarterOf(t.getUTCFullYear(), Math.floor(t.getUTCMonth() / 3) + 1);
}

/** The last quarter that has ended at `now` (the one a review looks back on). */
export function lastClosedQuarter(now: Date): Quarter {
  return previousQuarter(quarterContaining(now));
}

/** The `count` quarters ending with `q`, oldest first. */
export function quartersEndingWith(q: Quarter, count: number): Quarter[] {
  const out: Quarter[] = [q];
  while (out.length < count) out.unshift(previousQuarter(out[0] as Quarter));
  return out;
}

export function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}
