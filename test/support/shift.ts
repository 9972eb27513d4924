import { ev } from '@shewhart/kpi/testing';

const DAY = 86_400_000;

/** Midnight UTC of the Monday `weeks` whole weeks before this week's Monday. */
export function mondayWeeksAgo(weeks: number, now = new Date()): number {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return today - ((new Date(today).getUTCDay() + 6) % 7) * DAY - weeks * 7 * DAY;
}

/**
 * The special cause the alert tests raise: production deployments of `team`, ten a week from `week0`
 * (a Monday, epoch ms), two of ten failed for twenty weeks, then seven of ten in the twenty-first — a
 * change failure rate point beyond the p chart's upper limit (WE1) in a closed week, when `week0` is
 * far enough back. Deployment ids start with `prefix` (unique per test).
 */
export function cfrShift(prefix: string, week0: number, team = 'alpha') {
  const events = [];
  for (let w = 0; w < 21; w++) {
    for (let k = 0; k < 10; k++) {
      events.push(
        ev(
          'delivery.deployment',
          {
            deploymentId: `${prefix}-${w}-${k}`,
            environment: 'production',
            status: k < (w === 20 ? 7 : 2) ? 'failed' : 'success',
          },
          { time: new Date(week0 + (w * 7 + (k % 5)) * DAY + 3_600_000).toISOString(), team },
        ),
      );
    }
  }
  return events;
}
