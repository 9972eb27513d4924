/**
 * Keeps the entity state tables (`definitions.ts`) current, incrementally.
 *
 * Each state table is a VersionedCollapsingMergeTree sorted by (team, project, entity). A catch-up
 * re-folds only the entities that have an event stored since the last one (found through
 * `events_raw.ingested_at`, which has a minmax index, migration 0024; see `touched.ts`), compares each new
 * fold with the entity's live row, and for every entity that changed writes a cancelling copy of the old
 * row (sign −1) and the new row (sign +1, a new version). Unchanged entities write nothing. Readers take
 * the live rows (`live()` in definitions.ts); merges collapse cancelled pairs in the background.
 *
 * Exactness: duplicates and late events are folded exactly as before (the fold is the same SQL); the
 * catch-up re-reads every event ingested after `watermark`, which trails the previous catch-up's start by
 * `lagMs`, so an insert that was in flight while the previous catch-up read the table is not missed.
 * Re-folding an entity twice is harmless (nothing changes, nothing is written). A crash in the middle of
 * a catch-up's writes leaves the watermark where it was: the next catch-up re-folds the same entities and
 * writes what is missing.
 *
 * A table whose definition changed is rebuilt in full (`tables.ts`). Catch-ups of one client are
 * serialized in-process, and across processes under a shared lock (`gate.ts`). A catch-up writes an
 * entity's cancelling row and its new row in one INSERT, so both land in one part (per partition) and
 * appear together.
 *
 * `rollup_touched` and `rollup_watermark` keep the names migrations 0026–0027 gave them before these were
 * called entity states: migrations are append-only history, and a rename buys nothing.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { DebouncedTask } from '@shewhart/config';
import { holdRollupWatermark } from '@shewhart/warehouse';
import { ENTITY_STATES, type EntityState, live } from './definitions.js';
import { type SharedLock, StatesGate } from './gate.js';
import { markCurrent, markPending, statesToRebuild } from './tables.js';
import { touchedKeysSql } from './touched.js';

export interface EntityStatesOptions {
  /** How far the next catch-up reaches back before this one's start, for inserts still in flight. */
  lagMs?: number;
  /** Told when states are built in full (a new data directory, or a new definition): that takes a while. */
  logger?: { info(obj: object, msg?: string): void };
  /** Receives the time of each statement of a catch-up (benchmarks, debugging). */
  trace?: (step: string, ms: number) => void;
  /** Called around the catch-up when more than one process may run them (scaled deployment). */
  lock?: SharedLock;
}

export interface CatchUpReport {
  /** `skipped`: nothing was stored since the last catch-up. */
  mode: 'skipped' | 'incremental' | 'build';
  /** States rebuilt in full (a new table or a changed definition). */
  rebuilt: string[];
  /** Events read since the watermark (incremental only). */
  events: number;
  ms: number;
}

const DEFAULT_LAG_MS = 5_000;
const TIME = "DateTime64(3, 'UTC')";

/** Which state each event stored since the watermark touches, and its entity's key. */
const TOUCHED_KEYS = touchedKeysSql(ENTITY_STATES);

interface Snapshot {
  /** Server time at the start of the catch-up. */
  at: string;
  /** Events ingested in (watermark, at], as seen then. */
  window: number;
}

export class EntityStates {
  private readonly lagMs: number;
  /** The scratch tables of every state exist (checked once per process). */
  private scratchReady = false;
  private running: Promise<CatchUpReport> | undefined;
  private queued: Promise<CatchUpReport> | undefined;
  private last: (Snapshot & { watermark: string }) | undefined;
  private writesKnown = false;
  private dirty = true;
  private readonly gate: StatesGate;
  /** The catch-up running inside the current exclusive section (one at a time, as outside). */
  private inner: Promise<CatchUpReport> | undefined;

  constructor(
    readonly client: ClickHouseClient,
    private readonly options: EntityStatesOptions = {},
  ) {
    this.lagMs = options.lagMs ?? DEFAULT_LAG_MS;
    this.gate = new StatesGate(options.lock);
  }

  /**
   * Brings every state up to the events stored so far. Concurrent callers share the running catch-up;
   * a caller arriving while one runs gets the next one, which sees its events.
   */
  catchUp(): Promise<CatchUpReport> {
    if (this.writesKnown && !this.dirty && this.last && !this.running) {
      return Promise.resolve({ mode: 'skipped', rebuilt: [], events: 0, ms: 0 });
    }
    let held: boolean;
    try {
      held = this.gate.holdsExclusive('a catch-up');
    } catch (error) {
      return Promise.reject(error);
    }
    // Inside `exclusive` nothing else can be catching up: run here, holding what the caller holds.
    if (held) {
      this.inner ??= this.run().finally(() => {
        this.inner = undefined;
      });
      return this.inner;
    }
    if (!this.running) {
      this.running = this.gate
        .writing(() => this.run())
        .finally(() => {
          this.running = undefined;
        });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.catchUp();
      });
    return this.queued;
  }

  /**
   * This process is the only writer of the warehouse (the embedded runtime): it calls `noteWrite()` after
   * every stored batch, and a catch-up with nothing noted since the previous one answers at once, without
   * asking the warehouse. Never in the scaled deployment, where workers write from other processes.
   */
  trackWrites(): this {
    this.writesKnown = true;
    return this;
  }

  /** Events were stored (see `trackWrites`). */
  noteWrite(): void {
    this.dirty = true;
  }

  /**
   * Scaled deployment: catch-ups against a shared ClickHouse server run under `lock` (a lock all its
   * processes share, e.g. `RedisLock` of @shewhart/bus), so two never write cancelling rows at once.
   */
  useLock(lock: { run<T>(work: (held: () => void) => Promise<T>): Promise<T> }): this {
    this.gate.useLock((work) => lock.run(work));
    return this;
  }

  /**
   * Reads the states: never while a catch-up of this process writes them. Catch up first (queries do);
   * a catch-up that starts meanwhile waits for the reads in flight.
   */
  reading<T>(work: () => Promise<T>): Promise<T> {
    return this.gate.reading(work);
  }

  /**
   * Runs `work` with no catch-up running meanwhile, in this process or (under the shared lock) in any
   * other: for reading the states and storing what follows from them (baselines, signals), and for
   * writes that must not interleave across processes. Catch-ups and reads called inside run directly.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.gate.exclusive(work);
  }

  /**
   * Under the shared lock (scaled): throws `LockUnavailableError` once its lease is known lost. Work in an
   * `exclusive` section calls it before writes that must not interleave with another process's.
   */
  stillHeld(): void {
    this.gate.stillHeld();
  }

  private async run(): Promise<CatchUpReport> {
    const started = performance.now();
    // A write noted from here on is caught up by the next run (it may commit after this one has read).
    this.dirty = false;
    try {
      return await this.runOnce(started);
    } catch (error) {
      this.dirty = true;
      throw error;
    }
  }

  private async runOnce(started: number): Promise<CatchUpReport> {
    // Runs are serialized (single-flight, plus the lock across processes), so plain fields suffice. The
    // tables are checked on every run: another process may have rebuilt them for another definition.
    const rebuild = await statesToRebuild(this.client, !this.scratchReady);
    this.scratchReady = true;
    // Another process may have caught up since (scaled deployment): the stored watermark is the truth.
    const watermark = await this.storedWatermark();
    if (this.last && this.last.watermark !== watermark) this.last = undefined;
    const zero = '1970-01-01 00:00:00';
    const probe = await this.one<{
      at: string;
      next: string;
      fresh: string;
      window: string;
      next_window: string;
    }>(
      `WITH now64(3, 'UTC') AS t, t - toIntervalMillisecond({lag:UInt32}) AS n
       SELECT toString(t) AS at, toString(n) AS next,
         toString(countIf(ingested_at > {last:${TIME}})) AS fresh,
         toString(uniqExactIf((source, id), ingested_at <= {last:${TIME}})) AS window,
         toString(uniqExactIf((source, id), ingested_at > n AND ingested_at <= t)) AS next_window
       FROM events_raw WHERE ingested_at > {watermark:${TIME}}`,
      { lag: this.lagMs, last: this.last?.at ?? watermark ?? zero, watermark: watermark ?? zero },
    );
    if (
      this.last &&
      rebuild.size === 0 &&
      Number(probe.fresh) === 0 &&
      Number(probe.window) === this.last.window
    ) {
      return { mode: 'skipped', rebuilt: [], events: 0, ms: performance.now() - started };
    }
    // The typed tables are written after events_raw (packages/warehouse/src/derive.ts): never store a
    // watermark past an event whose typed row is still missing, or the states would never fold it.
    // Checked before the folds read the typed tables; held, the next run reads the window again.
    const hold = await holdRollupWatermark(this.client, watermark, probe.next);
    const version = microsOf(probe.at);
    const rebuilt: string[] = [];
    const building = watermark === undefined ? ENTITY_STATES.map((s) => s.name) : [...rebuild];
    if (building.length > 0) {
      this.options.logger?.info(
        { states: building },
        'building KPI entity states from the stored events (once per data directory or new definition)',
      );
    }
    // Every state to build is marked first: a crash anywhere in the builds leaves each of them (a derived
    // state whose source was already rebuilt included) not current, and the next run rebuilds it.
    for (const s of ENTITY_STATES.filter((s) => building.includes(s.name))) {
      await this.exec(`${s.name}: pending`, markPending(s));
    }
    let events = 0;
    if (watermark === undefined) {
      for (const s of ENTITY_STATES) await this.build(s, version);
      rebuilt.push(...ENTITY_STATES.map((s) => s.name));
    } else {
      await this.exec('touched: truncate', 'TRUNCATE TABLE rollup_touched');
      await this.exec('touched: events', `INSERT INTO rollup_touched (fold, key) ${TOUCHED_KEYS}`, {
        watermark,
      });
      for (const s of ENTITY_STATES) {
        for (const [i, q] of (s.touches ?? []).entries()) await this.exec(`${s.name}: touched ${i + 1}`, q);
      }
      const rs = await this.client.query({
        query: 'SELECT DISTINCT fold FROM rollup_touched',
        format: 'JSONEachRow',
      });
      const touched = new Set((await rs.json<{ fold: string }>()).map((r) => r.fold));
      events = Number(probe.fresh) + Number(probe.window);
      for (const s of ENTITY_STATES) {
        if (rebuild.has(s.name)) {
          await this.build(s, version);
          rebuilt.push(s.name);
        } else if (touched.has(s.name)) await this.apply(s, version);
      }
    }
    await this.client.insert({
      table: 'rollup_watermark',
      values: [{ id: 1, watermark: hold.watermark }],
      format: 'JSONEachRow',
    });
    this.last = hold.held
      ? undefined
      : { at: probe.at, window: Number(probe.next_window), watermark: probe.next };
    if (building.length > 0) {
      this.options.logger?.info(
        { states: building, ms: Math.round(performance.now() - started) },
        'KPI entity states built',
      );
    }
    return {
      mode: watermark === undefined ? 'build' : 'incremental',
      rebuilt,
      events,
      ms: performance.now() - started,
    };
  }

  private async storedWatermark(): Promise<string | undefined> {
    const rs = await this.client.query({
      query: 'SELECT toString(max(watermark)) AS w, count() AS n FROM rollup_watermark',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ w: string; n: string | number }>();
    return row && Number(row.n) > 0 ? row.w : undefined;
  }

  /** Folds every entity of a state anew. */
  private async build(s: EntityState, version: bigint): Promise<void> {
    // The table was marked pending before any build of this run (see runOnce).
    for (const [i, q] of (s.prepare?.('build') ?? []).entries())
      await this.exec(`${s.name}: prepare ${i + 1}`, q);
    await this.exec(`${s.name}: truncate`, `TRUNCATE TABLE ${s.table}`);
    for (const a of s.aggregates ?? [])
      await this.exec(`${s.name}: truncate ${a.table}`, `TRUNCATE TABLE ${a.table}`);
    await this.exec(
      `${s.name}: build`,
      `INSERT INTO ${s.table} (${columnList(s)}, version, sign) SELECT *, {v:UInt64}, 1 FROM (${s.fold('true')})`,
      { v: version.toString() },
    );
    await this.exec(`${s.name}: done`, markCurrent(s));
  }

  /** Re-folds the touched entities of a state; cancels rows that changed and inserts their new state, in one statement. */
  private async apply(s: EntityState, version: bigint): Promise<void> {
    const touched = `entity_key IN (SELECT key FROM rollup_touched WHERE fold = '${s.name}')`;
    const hash = `sipHash64(tuple(${s.columns.map(([n]) => n).join(', ')}))`;
    const next = `${s.table}_next`;
    const prev = `${s.table}_prev`;
    for (const [i, q] of (s.prepare?.('apply') ?? []).entries())
      await this.exec(`${s.name}: prepare ${i + 1}`, q);
    await this.exec(`${s.name}: truncate next`, `TRUNCATE TABLE ${next}`);
    await this.exec(`${s.name}: truncate prev`, `TRUNCATE TABLE ${prev}`);
    await this.exec(
      `${s.name}: fold`,
      `INSERT INTO ${next} (${columnList(s)}) ${s.fold(`${s.key} IN (SELECT key FROM rollup_touched WHERE fold = '${s.name}')`)}`,
    );
    // The live rows of the touched entities, read once (the state table is scanned once, not twice).
    await this.exec(
      `${s.name}: previous`,
      `INSERT INTO ${prev} (${columnList(s)}, version) SELECT ${columnList(s)}, version FROM (${live(s, touched)})`,
    );
    // One statement writes both: the cancelling copy of every old row whose entity folds to something
    // else now (or to nothing), and every new fold that is not live already (unchanged entities write
    // nothing). Its rows are squashed into one block, so an entity's two rows land in the same part
    // (one per partition) and a reader sees both or neither; only an entity that moved to another year
    // has them in two parts, committed a moment apart.
    await this.exec(
      `${s.name}: write`,
      `INSERT INTO ${s.table} (${columnList(s)}, version, sign)
        SELECT ${columnList(s)}, version, toInt8(-1) AS sign FROM ${prev}
        WHERE (entity_key, ${hash}) NOT IN (SELECT entity_key, ${hash} FROM ${next})
        UNION ALL
        SELECT ${columnList(s)}, {v:UInt64} AS version, toInt8(1) AS sign FROM ${next}
        WHERE (entity_key, ${hash}) NOT IN (SELECT entity_key, ${hash} FROM ${prev})`,
      { v: version.toString() },
    );
  }

  private async exec(step: string, query: string, params?: Record<string, unknown>): Promise<void> {
    this.gate.stillHeld();
    const t0 = performance.now();
    await this.client.command({ query, ...(params ? { query_params: params } : {}) });
    this.options.trace?.(step, performance.now() - t0);
  }

  private async one<T>(query: string, params: Record<string, unknown>): Promise<T> {
    const rs = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    const [row] = await rs.json<T>();
    return row as T;
  }
}

const columnList = (s: EntityState) => ['entity_key', ...s.columns.map(([n]) => n)].join(', ');

/** '2026-11-25 16:30:00.123' (server UTC) → microseconds since the epoch, the row version of a catch-up. */
function microsOf(at: string): bigint {
  return BigInt(Date.parse(`${at.replace(' ', 'T')}Z`)) * 1000n;
}

/**
 * Catches up a second after a stored batch (`notify()`; at most one run at a time, so a busy ingest is
 * caught up once per run rather than once per batch), so queries usually find the states current and
 * skip straight to reading. Queries still catch up themselves: they never read behind a stored event.
 */
export function backgroundCatchUp(
  states: EntityStates,
  options: { delayMs?: number; logger?: { warn(obj: object, msg?: string): void } } = {},
): DebouncedTask {
  return new DebouncedTask(async () => {
    try {
      await states.catchUp();
    } catch (error) {
      options.logger?.warn({ err: error }, 'entity state catch-up failed');
    }
  }, options.delayMs ?? 1_000);
}
