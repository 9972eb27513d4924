/**
 * Quiet hours of a route (`{ from: "22:00", to: "07:00", tz: Europe/Berlin }`): a delivery due inside
 * them is held and sent when they end. Wall-clock times in the route's time zone, so daylight-saving
 * changes move them with the receiver's day.
 */
export interface QuietHours {
  from: string;
  to: string;
  tz: string;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Minutes since local midnight of `at` in `tz`. */
function localMinutes(at: Date, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? '0');
  return get('hour') * 60 + get('minute');
}

function inside(m: number, from: number, to: number): boolean {
  return from < to ? m >= from && m < to : m >= from || m < to;
}

/**
 * When a delivery due at `at` may be sent: `at` itself outside quiet hours, else the first minute after
 * they end. Found by stepping a minute at a time (at most a day), which stays right across DST changes.
 */
export function quietUntil(q: QuietHours | undefined, at: Date): Date | null {
  if (!q) return null;
  const from = minutes(q.from);
  const to = minutes(q.to);
  if (!inside(localMinutes(at, q.tz), from, to)) return null;
  const start = Math.floor(at.getTime() / 60_000) * 60_000;
  for (let k = 1; k <= 24 * 60 + 60; k++) {
    const t = new Date(start + k * 60_000);
    if (!inside(localMinutes(t, q.tz), from, to)) return t;
  }
  return null;
}
