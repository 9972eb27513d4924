import type { ClickHouseClient } from '@clickhouse/client';
import { eventKey, type ShewhartEvent } from '@shewhart/events';
import { deriveFresh, type RepairReport, repairDerived } from './derive.js';
import { backoffMs, isTransient, StorageUnavailableError } from './errors.js';
import { type EventRow, toEventRow } from './event-row.js';

export interface StoreOutcome {
  stored: number;
  duplicates: number;
}

export interface EventStoreOptions {
  /** Flush as soon as this many rows are buffered. */
  flushRows?: number;
  /** Flush at most this long after the first buffered row. */
  flushMs?: number;
  /** Attempts for a transient failure before the waiting writers are failed. */
  maxAttempts?: number;
  onFlush?: (info: { rows: number; stored: number; duplicates: number; ms: number }) => void;
  logger?: { warn(obj: object, msg?: string): void };
  /**
   * Several processes writing to one ClickHouse server (scaled deployment): a lock they all share, held
   * around each flush (duplicate check, insert, derive, repair), so that two writers never store one
   * event twice nor derive one event twice. `held()` throws once the lock is known lost. The same shape
   * as the entity states' lock (`RedisLock.run`). Not needed when this process is the only writer.
   */
  lock?: <T>(work: (held: () => void) => Promise<T>) => Promise<T>;
  /**
   * How often the derived tables are checked against `events_raw` while flushing (a repair, see
   * derive.ts): it fills what a writer that died mid-flush left out, and keeps the window a repair after
   * a crash must check short. Default 60 s. Repairs also run before the first flush and after a failed one.
   */
  repairIntervalMs?: number;
  /** How far behind its start a repair leaves the derive watermark, for inserts still in flight. Default 30 s. */
  repairLagMs?: number;
  /** Told about every repair that found derived rows missing. */
  onRepair?: (report: RepairReport) => void;
  /**
   * Test-only fault injection: called after a flush's INSERT into events_raw committed and before its
   * derived rows are written (the crash tests make the process exit here). Never set in production.
   */
  afterInsert?: () => void;
}

interface Pending {
  rows: EventRow[];
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

/**
 * The one ClickHouse writer of a process for events. Callers hand it validated events and get a promise
 * that resolves only once those events are durably stored (or found to be duplicates) and derived into
 * the tables the KPIs read. Concurrent callers share one flush. Flushes run one at a time (and under
 * `lock` across processes), so the duplicate check, the insert and the derive are atomic with respect to
 * every other writer.
 *
 * A flush: (1) repair the derived tables if one is due (before the first flush, after a failed one,
 * every `repairIntervalMs`); (2) look the batch's keys up in `events_raw` itself (never in a derived
 * table, which may lag behind it after a crash); (3) INSERT the fresh events into `events_raw`, the
 * commit point; (4) derive them (derive.ts); (5) acknowledge. A crash anywhere leaves the events either
 * absent (never acknowledged; the retry stores them) or in `events_raw` (the retry finds them there and
 * counts them duplicates) with their derived rows filled by the next repair, which runs before the
 * retry's duplicate check. See docs/reliability.md.
 */
export class EventStore {
  readonly #client: ClickHouseClient;
  readonly #flushRows: number;
  readonly #flushMs: number;
  readonly #maxAttempts: number;
  readonly #opts: EventStoreOptions;
  #pending: Pending[] = [];
  #pendingRows = 0;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** A repair runs before the next flush's duplicate check: at start-up, and after any doubt. */
  #repairDue = true;
  #lastRepair = 0;

  constructor(client: ClickHouseClient, options: EventStoreOptions = {}) {
    this.#client = client;
    this.#flushRows = options.flushRows ?? 20_000;
    this.#flushMs = options.flushMs ?? 50;
    this.#maxAttempts = options.maxAttempts ?? 5;
    this.#opts = options;
  }

  /** Buffers the events; resolves after the flush that contains them committed. */
  write(events: readonly ShewhartEvent[]): Promise<StoreOutcome> {
    let rows: EventRow[];
    try {
      rows = events.map(toEventRow);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writeRows(rows);
  }

  writeRows(rows: EventRow[]): Promise<StoreOutcome> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    if (rows.length === 0) return Promise.resolve({ stored: 0, duplicates: 0 });
    return new Promise<StoreOutcome>((resolve, reject) => {
      this.#pending.push({ rows, resolve, reject });
      this.#pendingRows += rows.length;
      if (this.#pendingRows >= this.#flushRows) this.#schedule(0);
      else this.#schedule(this.#flushMs);
    });
  }

  /** Flushes everything buffered so far. */
  flush(): Promise<void> {
    this.#clearTimer();
    const batch = this.#take();
    this.#chain = this.#chain.then(() => this.#flushBatch(batch));
    return this.#chain;
  }

  /** Flushes and refuses further writes. Call after the consumers stopped. */
  async close(): Promise<void> {
    // Refuse new writes first: a write that slipped in after the final flush would wait for a flush
    // that never comes (the client closes next). Refused writes are never acknowledged.
    this.#closed = true;
    await this.flush();
  }

  get bufferedRows(): number {
    return this.#pendingRows;
  }

  #schedule(delay: number): void {
    if (delay === 0) {
      void this.flush().catch(() => undefined); // errors are delivered to the waiting writers
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush().catch(() => undefined);
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #take(): Pending[] {
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingRows = 0;
    return batch;
  }

  async #flushBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    const started = performance.now();
    try {
      const lock = this.#opts.lock ?? ((work) => work(() => {}));
      const outcomes = await lock((held) => this.#withRetry(() => this.#flushLocked(batch, held)));
      batch.forEach((p, i) => {
        p.resolve(outcomes[i] as StoreOutcome);
      });
      const stored = outcomes.reduce((s, o) => s + o.stored, 0);
      const duplicates = outcomes.reduce((s, o) => s + o.duplicates, 0);
      this.#opts.onFlush?.({
        rows: stored + duplicates,
        stored,
        duplicates,
        ms: performance.now() - started,
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  async #flushLocked(batch: Pending[], held: () => void): Promise<StoreOutcome[]> {
    const interval = this.#opts.repairIntervalMs ?? 60_000;
    if (this.#repairDue || performance.now() - this.#lastRepair >= interval) {
      // Marked done only when it completes: a failed repair is tried again by the retry.
      this.#repairDue = true;
      const report = await repairDerived(this.#client, { lagMs: this.#opts.repairLagMs, held });
      this.#repairDue = false;
      this.#lastRepair = performance.now();
      if (report.repaired > 0) {
        this.#opts.onRepair?.(report);
        this.#opts.logger?.warn(
          { repaired: report.repaired, oldest: report.oldest, rollupsRewound: report.rollupsRewound },
          'derived tables repaired: events stored without their derived rows (a crash or failure mid-flush)',
        );
      }
    }
    try {
      return await this.#store(batch, held);
    } catch (error) {
      // The insert may have committed, and the derive may have written part of its rows: the next
      // attempt (the retry below, or the client's) repairs before it checks for duplicates.
      this.#repairDue = true;
      throw error;
    }
  }

  async #withRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isTransient(error)) throw error;
        if (attempt + 1 >= this.#maxAttempts) {
          throw new StorageUnavailableError(`ClickHouse unavailable after ${attempt + 1} attempts`, {
            cause: error,
          });
        }
        this.#opts.logger?.warn({ err: error, attempt }, 'transient ClickHouse error, retrying');
        await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      }
    }
  }

  /** Dedupes inside the batch (first occurrence wins), then against storage, then inserts and derives the rest. */
  async #store(batch: Pending[], held: () => void): Promise<StoreOutcome[]> {
    const seen = new Set<string>();
    const candidates: { row: EventRow; owner: number }[] = [];
    const outcomes: StoreOutcome[] = batch.map(() => ({ stored: 0, duplicates: 0 }));
    batch.forEach((p, owner) => {
      for (const row of p.rows) {
        const key = eventKey(row);
        if (seen.has(key)) (outcomes[owner] as StoreOutcome).duplicates++;
        else {
          seen.add(key);
          candidates.push({ row, owner });
        }
      }
    });
    const existing = await this.#existingKeys(candidates.map((c) => c.row));
    const fresh: EventRow[] = [];
    for (const c of candidates) {
      const o = outcomes[c.owner] as StoreOutcome;
      if (existing.has(eventKey(c.row))) o.duplicates++;
      else {
        fresh.push(c.row);
        o.stored++;
      }
    }
    if (fresh.length > 0) {
      held();
      // The commit point: one block, one part. From here the events exist, derived or not.
      await this.#client.insert({ table: 'events_raw', values: fresh, format: 'JSONEachRow' });
      this.#opts.afterInsert?.();
      held();
      await deriveFresh(this.#client, fresh);
    }
    return outcomes;
  }

  /**
   * The keys of the batch already in `events_raw`. Read from `events_raw` itself, the commit point, and
   * not from `event_keys`: a derived table may lag behind it (a crash between the two inserts), and a
   * key missed there would store the event a second time. Its sort key starts with `type`, which the
   * look-up leaves open (an id reused with another type is the same event); with a few types the index
   * still narrows each key to its granules (measured: as fast as `event_keys`).
   */
  async #existingKeys(rows: EventRow[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of keyChunks(rows)) {
      const rs = await this.#client.query({
        query: `SELECT source, id FROM events_raw
                WHERE (source, id) IN (SELECT arrayJoin(arrayZip({s:Array(String)}, {i:Array(String)})))`,
        query_params: { s: part.map((r) => r.source), i: part.map((r) => r.id) },
        format: 'JSONCompactEachRow',
      });
      for (const [source, id] of await rs.json<[string, string]>()) found.add(eventKey({ source, id }));
    }
    return found;
  }
}

/**
 * A ClickHouse server takes query parameters in the request URL and refuses a field over 128 KiB
 * (`http_max_field_value_size`): the key look-up of a large batch is split so that each array parameter
 * stays under `budget` characters once encoded (an array of quoted, escaped values, URL-encoded).
 */
export const KEY_PARAM_BUDGET = 96 * 1024;

export function keyChunks(rows: readonly EventRow[], budget = KEY_PARAM_BUDGET): EventRow[][] {
  const chunks: EventRow[][] = [];
  let chunk: EventRow[] = [];
  let sources = 2;
  let ids = 2;
  for (const row of rows) {
    const s = encodedLength(row.source);
    const i = encodedLength(row.id);
    if (chunk.length > 0 && (sources + s > budget || ids + i > budget)) {
      chunks.push(chunk);
      chunk = [];
      sources = 2;
      ids = 2;
    }
    chunk.push(row);
    sources += s;
    ids += i;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Characters a string takes in an encoded array parameter: `'value',`, escaped as the client escapes it. */
function encodedLength(value: string): number {
  const escaped = value.replace(/[\\'\t\n\r]/g, (c) => `\\${ESCAPES[c] ?? c}`);
  try {
    return encodeURIComponent(escaped).length + 9;
  } catch {
    // A lone surrogate (encodeURIComponent refuses it): every UTF-8 byte percent-encoded, at most.
    return Buffer.byteLength(escaped, 'utf8') * 3 + 9;
  }
}

const ESCAPES: Record<string, string> = { '\t': 't', '\n': 'n', '\r': 'r' };
