import type { Grain } from '@shewhart/kpi';

const DAY = 86_400_000;

/** Start (UTC midnight) of the period containing `t`; weeks start on Monday (ISO). */
export function periodStartOf(t: Date, grain: Grain): Date {
  const d = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  switch (grain) {
    case 'day':
      return d;
    case 'week':
      return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY);
    case 'month':
      return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    case 'quarter':
      return new Date(Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1));
  }
}

export function nextPeriodStart(start: Date, grain: Grain): Date {
  switch (grain) {
    case 'day':
      return new Date(start.getTime() + DAY);
    case 'week':
      return new Date(start.getTime() + 7 * DAY);
    case 'month':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    case 'quarter':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 3, 1));
  }
}

/**
 * The first period that lies entirely after a process change at `t`: a change in the middle of a
 * period leaves that period mixed, so the new stage starts with the next one (or with this one when
 * the change happened exactly at its start).
 */
export function firstPeriodFrom(t: Date, grain: Grain): string {
  const start = periodStartOf(t, grain);
  const first = start.getTime() === t.getTime() ? start : nextPeriodStart(start, grain);
  return ymd(first);
}

export function ymd(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The end (exclusive, UTC) of the period that starts on `periodStart` (YYYY-MM-DD). */
export function periodEnd(periodStart: string, grain: Grain): Date {
  return nextPeriodStart(new Date(`${periodStart}T00:00:00Z`), grain);
}

/**
 * docs/methods.md §5.9 rule 7: a period whose end (exclusive, UTC) is after the evaluation time is open,
 * its value partial by construction (Monday's count is not a low week). A period ending exactly at
 * `asOf` has closed.
 */
export function isOpenPeriod(periodStart: string, grain: Grain, asOf: Date): boolean {
  return periodEnd(periodStart, grain).getTime() > asOf.getTime();
}
