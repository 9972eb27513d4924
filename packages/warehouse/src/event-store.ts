import type { ClickHouseClient } from '@clickhouse/client';
import { eventKey, type ShewhartEvent } from '@shewhart/events';
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
}

interface Pending {
  rows: EventRow[];
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

/**
 * The one ClickHouse writer of a process for events. Callers hand it validated events and get a promise
 * that resolves only once those events are durably stored (or found to be duplicates). Concurrent
 * callers share one INSERT per flush. Flushes run one at a time, so the duplicate check and the insert
 * that follows it are atomic with respect to this process.
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
      const outcomes = await this.#withRetry(() => this.#store(batch));
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

  /** Dedupes inside the batch (first occurrence wins), then against storage, then inserts the rest. */
  async #store(batch: Pending[]): Promise<StoreOutcome[]> {
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
      await this.#client.insert({ table: 'events_raw', values: fresh, format: 'JSONEachRow' });
    }
    return outcomes;
  }

  async #existingKeys(rows: EventRow[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of keyChunks(rows)) {
      const rs = await this.#client.query({
        query: `SELECT source, id FROM event_keys
                WHERE (source, id) IN (SELECT arrayJoin(arrayZip({s:Array(String)}, {i:Array(String)})))`,
        query_params: { s: part.map((r) => r.source), i: part.map((r) => r.id) },
        format: 'JSONCompactEachRow',
      });
      for (const [source, id] of await rs.json<[string, string]>()) found.add(`${source}\u0000${id}`);
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
