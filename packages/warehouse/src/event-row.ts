import type { ShewhartEvent } from '@shewhart/events';

/** One row of `events_raw`. */
export interface EventRow {
  source: string;
  id: string;
  type: string;
  time: string;
  team: string;
  project: string;
  specversion: string;
  data: string;
  extra: string;
}

const ENVELOPE = new Set(['specversion', 'id', 'source', 'type', 'time', 'team', 'project', 'data']);

/** `YYYY-MM-DD hh:mm:ss.mmm` in UTC, the DateTime64(3, 'UTC') text form. */
export function toClickHouseTime(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${rfc3339}`);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function toEventRow(event: ShewhartEvent): EventRow {
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(event)) {
    if (!ENVELOPE.has(key)) {
      extra ??= {};
      extra[key] = (event as Record<string, unknown>)[key];
    }
  }
  return {
    source: event.source,
    id: event.id,
    type: event.type,
    time: toClickHouseTime(event.time),
    team: event.team,
    project: event.project ?? '',
    specversion: event.specversion,
    data: JSON.stringify(event.data),
    extra: extra ? JSON.stringify(extra) : '{}',
  };
}
