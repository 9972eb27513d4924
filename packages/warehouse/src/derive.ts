/**
 * The derived tables: `event_keys` and the typed tables `defect_events`, `delivery_events` and
 * `quality_events`, which the KPI queries and the entity states read instead of `events_raw`.
 *
 * Invariant (docs/reliability.md, "Derived tables"): after any crash, once the warehouse is opened again
 * (`migrate` recovers, and every `EventStore` repairs before its first flush), each derived table holds
 * exactly the events of `events_raw` that belong to it, each once; and `events_raw` holds each
 * acknowledged (source, id) once.
 *
 * How it holds:
 * - The INSERT into `events_raw` is the only commit point: one block, one part, all or nothing. An event
 *   exists when it is there, whatever the derived tables say.
 * - The derived rows are written after it, by one INSERT into `derive_feed` whose views fan them out
 *   (migrations 0034-0038). That fan-out is not atomic (each table gets its own part), so it is never
 *   trusted to have happened: a flush derives its own fresh events (none can have derived rows yet: the
 *   writer's duplicate check found them absent from `events_raw`, and derived rows are only ever made
 *   from `events_raw`), and everything else is done by a repair, which derives only what each table is
 *   missing (an anti-join on (source, id), narrowed by the table's sort-key prefix), so running it again,
 *   or after a crash anywhere in it, never writes a row twice.
 * - A repair starts from the derive watermark (migration 0029): every event ingested at or before it is
 *   known derived. It is moved to the repair's start minus `lagMs` (inserts of other writers still in
 *   flight are re-checked by the next repair).
 * - The KPI entity states fold the typed tables for the events found through `events_raw.ingested_at`:
 *   a catch-up never moves its watermark past an event whose typed row is still missing
 *   (`holdRollupWatermark`), and a repair that fills a row the states have already passed moves their
 *   watermark back before it.
 *
 * Derived rows are only ever written under the writer's serialization (one flush at a time per process,
 * and the `EventStore` lock across processes): two concurrent derivations of one event would both find it
 * missing and write it twice.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { EventRow } from './event-row.js';

const TIME = "DateTime64(3, 'UTC')";
const EPOCH = '1970-01-01 00:00:00.000';

/** One derived table: its bit in `derive_feed.targets`, the events it takes, and how to find its rows. */
interface Derived {
  table: string;
  bit: number;
  /** Condition on an `events_raw` row: the row belongs to this table. */
  types: string;
  /**
   * The table's sort-key prefix and the same value computed from an `events_raw` row (the expressions of
   * its view, 0035-0038): the anti-join reads only the table's rows of the entities in the window.
   */
  prefix: string;
  rawPrefix: string;
}

const list = (types: string[]) => `type IN (${types.map((t) => `'${t}'`).join(', ')})`;

export const DERIVED: readonly Derived[] = [
  { table: 'event_keys', bit: 0, types: '1', prefix: '(source, id)', rawPrefix: '(source, id)' },
  {
    table: 'defect_events',
    bit: 1,
    types: list(['defect.reported', 'defect.resolved', 'defect.reopened']),
    prefix: 'defect_key',
    rawPrefix: "cityHash64(JSONExtractString(data, 'defectId'))",
  },
  {
    table: 'delivery_events',
    bit: 2,
    types: list([
      'delivery.release.planned',
      'delivery.release',
      'delivery.deployment',
      'delivery.incident.opened',
      'delivery.incident.resolved',
    ]),
    prefix: 'entity_key',
    rawPrefix: `cityHash64(multiIf(type IN ('delivery.release', 'delivery.release.planned'), JSONExtractString(data, 'releaseId'),
      type = 'delivery.deployment', JSONExtractString(data, 'deploymentId'), JSONExtractString(data, 'incidentId')))`,
  },
  {
    table: 'quality_events',
    bit: 3,
    types: list([
      'review.completed',
      'capa.opened',
      'capa.updated',
      'capa.closed',
      'feedback.survey',
      'feedback.complaint',
    ]),
    prefix: 'entity_key',
    rawPrefix: `cityHash64(multiIf(type = 'review.completed', JSONExtractString(data, 'reviewId'),
      type LIKE 'capa.%', JSONExtractString(data, 'capaId'),
      type = 'feedback.survey', concat(source, '\\0', id), JSONExtractString(data, 'complaintId')))`,
  },
];

const ALL_TARGETS = DERIVED.reduce((m, d) => m | (1 << d.bit), 0);
/** The tables the KPI entity states fold (event_keys is not one of them). */
const TYPED = DERIVED.filter((d) => d.table !== 'event_keys');

/** One history scan reads at most about this many events of `events_raw` (its anti-join sets stay small). */
const BUCKET_ROWS = 1_000_000;

/**
 * Derives a flush's fresh events: one INSERT, into every derived table the event belongs to. Only for
 * events this writer has just stored after finding them absent, under its serialization (see above);
 * after any doubt (an error, a crash) use `repairDerived`.
 */
export async function deriveFresh(client: ClickHouseClient, rows: readonly EventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: 'derive_feed',
    values: rows.map((r) => ({
      source: r.source,
      id: r.id,
      type: r.type,
      time: r.time,
      team: r.team,
      project: r.project,
      data: r.data,
      targets: ALL_TARGETS,
    })),
    format: 'JSONEachRow',
  });
}

interface Window {
  since: string;
  buckets: number;
  bucket: number;
}

const WINDOW = `ingested_at > {since:${TIME}} AND cityHash64(source, id) % {buckets:UInt32} = {bucket:UInt32}`;

/** Bits of the tables that miss an `events_raw` row of the window (0: none). */
function targetsExpr(tables: readonly Derived[]): string {
  return tables
    .map(
      (d) => `if(${d.types} AND (source, id) NOT IN (
          SELECT source, id FROM ${d.table}
          WHERE ${d.prefix} IN (SELECT ${d.rawPrefix} FROM events_raw WHERE ${WINDOW} AND ${d.types})),
        ${1 << d.bit}, 0)`,
    )
    .join(' + ');
}

export interface Missing {
  /** Events of the window that some derived table misses. */
  count: number;
  /** The earliest `ingested_at` among them (ClickHouse text, UTC), when any. */
  oldest?: string;
  /** Server time when the look-up started. */
  at: string;
}

/**
 * How many scans an anti-join over everything ingested after `since` takes (each reads about
 * BUCKET_ROWS events, so its sets stay small). Counted for a repair, whose window spans a repair interval
 * or, after an upgrade, the whole history; a catch-up's window spans seconds and is counted only when it
 * is the whole history (a new set of states).
 */
async function bucketsFor(client: ClickHouseClient, since: string, count: boolean): Promise<number> {
  if (!count && since !== EPOCH) return 1;
  const rs = await client.query({
    query: `SELECT count() AS n FROM events_raw WHERE ingested_at > {since:${TIME}}`,
    query_params: { since },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Math.max(1, Math.ceil(Number(row?.n ?? 0) / BUCKET_ROWS));
}

async function missingIn(
  client: ClickHouseClient,
  window: Window,
  tables: readonly Derived[],
): Promise<Missing> {
  const rs = await client.query({
    query: `SELECT toString(now64(3, 'UTC')) AS at, count() AS n, toString(min(ingested_at)) AS oldest
      FROM (SELECT ingested_at, ${targetsExpr(tables)} AS targets FROM events_raw WHERE ${WINDOW})
      WHERE targets != 0`,
    query_params: { ...window },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ at: string; n: string | number; oldest: string }>();
  const count = Number(row?.n ?? 0);
  return { count, at: row?.at ?? EPOCH, ...(count > 0 ? { oldest: row?.oldest } : {}) };
}

/** Events ingested after `since` that a derived table (by default any) misses. Reads only. */
export async function findMissing(
  client: ClickHouseClient,
  since: string = EPOCH,
  tables: readonly Derived[] = DERIVED,
): Promise<Missing> {
  const buckets = await bucketsFor(client, since, false);
  const total: Missing = { count: 0, at: '' };
  for (let bucket = 0; bucket < buckets; bucket++) {
    const m = await missingIn(client, { since, buckets, bucket }, tables);
    total.at ||= m.at;
    total.count += m.count;
    if (m.oldest && (!total.oldest || m.oldest < total.oldest)) total.oldest = m.oldest;
  }
  return total;
}

export interface RepairReport {
  /** Events whose derived rows were (partly) missing and are now written. */
  repaired: number;
  /** The earliest `ingested_at` among them. */
  oldest?: string;
  /** Repairs moved the KPI entity states' watermark back before `oldest`. */
  rollupsRewound: boolean;
  /** The derive watermark now. */
  watermark: string;
}

/**
 * Derives every event ingested after the derive watermark that a derived table misses, and moves the
 * watermark to this repair's start minus `lagMs`. Idempotent; safe to interrupt at any point. Run it
 * under the writer's serialization (see the file comment).
 */
export async function repairDerived(
  client: ClickHouseClient,
  options: { lagMs?: number; held?: () => void } = {},
): Promise<RepairReport> {
  const lagMs = options.lagMs ?? 30_000;
  const since = (await readWatermark(client, 'derive_watermark')) ?? EPOCH;
  const buckets = await bucketsFor(client, since, true);
  let at = '';
  let repaired = 0;
  let oldest: string | undefined;
  let rollupsRewound = false;
  for (let bucket = 0; bucket < buckets; bucket++) {
    const window = { since, buckets, bucket };
    const missing = await missingIn(client, window, DERIVED);
    at ||= missing.at;
    if (missing.count === 0 || !missing.oldest) continue;
    // The states' watermark goes back first: were it moved after the rows are written, a crash in
    // between would leave rows the states never fold (the next repair finds nothing missing).
    options.held?.();
    rollupsRewound = (await rewindRollups(client, missing.oldest)) || rollupsRewound;
    options.held?.();
    await client.command({
      query: `INSERT INTO derive_feed (source, id, type, time, team, project, data, targets)
        SELECT source, id, type, time, team, project, data, targets
        FROM (SELECT *, ${targetsExpr(DERIVED)} AS targets FROM events_raw WHERE ${WINDOW})
        WHERE targets != 0
        -- An event stored twice by the old views' failure (not yet merged away) is derived once.
        LIMIT 1 BY source, id`,
      query_params: { ...window },
    });
    repaired += missing.count;
    if (!oldest || missing.oldest < oldest) oldest = missing.oldest;
  }
  const watermark = shift(at, -lagMs);
  if (watermark > since) {
    options.held?.();
    await client.insert({
      table: 'derive_watermark',
      values: [{ id: 1, watermark }],
      format: 'JSONEachRow',
    });
  }
  return {
    repaired,
    ...(oldest ? { oldest } : {}),
    rollupsRewound,
    watermark: [watermark, since].sort()[1] as string,
  };
}

/**
 * The watermark a catch-up of the KPI entity states may store: `next`, or just before the earliest event
 * ingested after `since` whose typed row is still missing (a flush between its two inserts, or a crash
 * there not yet repaired). Such an event is then found again by the next catch-up, once derived; were
 * the watermark to pass it, the states would never fold it.
 */
export async function holdRollupWatermark(
  client: ClickHouseClient,
  since: string | undefined,
  next: string,
): Promise<{ watermark: string; held: boolean }> {
  const missing = await findMissing(client, since ?? EPOCH, TYPED);
  if (!missing.oldest) return { watermark: next, held: false };
  const before = shift(missing.oldest, -1);
  return before < padMillis(next) ? { watermark: before, held: true } : { watermark: next, held: false };
}

/** Moves the KPI entity states' watermark (migration 0027) back before `oldest`, when it is past it. */
async function rewindRollups(client: ClickHouseClient, oldest: string): Promise<boolean> {
  const current = await readWatermark(client, 'rollup_watermark');
  if (current === undefined || current < oldest) return false;
  // The catch-up reads the largest watermark stored, so a smaller one is only seen alone. Were the
  // process to die between the two statements, the states would find no watermark and be rebuilt.
  await client.command({ query: 'TRUNCATE TABLE rollup_watermark' });
  await client.insert({
    table: 'rollup_watermark',
    values: [{ id: 1, watermark: shift(oldest, -1) }],
    format: 'JSONEachRow',
  });
  return true;
}

async function readWatermark(client: ClickHouseClient, table: string): Promise<string | undefined> {
  const rs = await client.query({
    query: `SELECT toString(max(watermark)) AS w, count() AS n FROM ${table}`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ w: string; n: string | number }>();
  return row && Number(row.n) > 0 ? padMillis(row.w) : undefined;
}

/** ClickHouse's `toString` of a DateTime64(3) drops nothing, but accept a value without milliseconds. */
function padMillis(t: string): string {
  return /\.\d{3}$/.test(t) ? t : `${t}.000`;
}

/** `YYYY-MM-DD hh:mm:ss.mmm` (UTC) moved by `ms` milliseconds; text order is time order. */
function shift(t: string, ms: number): string {
  const at = Date.parse(`${padMillis(t).replace(' ', 'T')}Z`) + ms;
  return new Date(Math.max(0, at)).toISOString().replace('T', ' ').replace('Z', '');
}
