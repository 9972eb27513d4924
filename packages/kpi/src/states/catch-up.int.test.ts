import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { LockUnavailableError, RedisLock } from '@shewhart/bus';
import { generateDemo } from '@shewhart/cli/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latch, nextTurn } from '../../../../test/support/wait.js';
import { queryKpi } from '../query.js';
import { type KpiWarehouse, openKpiWarehouse } from '../testing.js';
import { EntityStates } from './catch-up.js';
import {
  ENTITY_STATES,
  type EntityState,
  live,
  STATES_GENERATION,
  type StateAggregate,
} from './definitions.js';
import { StatesOutdatedError } from './tables.js';
import { touchedKeysSql } from './touched.js';

/**
 * The entity states are kept current incrementally (catch-up.ts). Whatever order and batching the events
 * arrive in — entities split across batches, late events, duplicated raw rows — the live rows after each
 * catch-up must equal a fold of every stored event from scratch. Events go straight into `events_raw`
 * (duplicates included) and are derived into the typed tables as the writer's repair derives them.
 */

let kw: KpiWarehouse;

beforeAll(async () => {
  kw = await openKpiWarehouse();
});

afterAll(async () => kw?.dispose());

/** A deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const insert = (events: unknown[]) => kw.insertRaw(events);

/** `kw.client`, telling `sent` about every statement sent through it. */
function recording(sent: string[]): ClickHouseClient {
  return new Proxy(kw.client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'query' || prop === 'command' || prop === 'insert') sent.push(String(prop));
        return value.apply(target, args);
      };
    },
  });
}

const hashOf = (s: EntityState) => `sipHash64(tuple(entity_key, ${s.columns.map(([n]) => n).join(', ')}))`;

/** Sorted row hashes of the live state vs. a fold of every stored event (typed like the state table). */
async function compare(s: EntityState): Promise<{ live: string[]; fresh: string[] }> {
  const scratch = `${s.table}_next`;
  await kw.client.command({ query: `TRUNCATE TABLE ${scratch}` });
  await kw.client.command({ query: `INSERT INTO ${scratch} ${s.fold('true')}` });
  const hashes = async (from: string) => {
    const rs = await kw.client.query({
      query: `SELECT toString(${hashOf(s)}) AS h FROM (${from}) ORDER BY h`,
      format: 'JSONEachRow',
    });
    return (await rs.json<{ h: string }>()).map((r) => r.h);
  };
  return { live: await hashes(live(s)), fresh: await hashes(`SELECT * FROM ${scratch}`) };
}

/** An aggregate's sums vs. its view's SELECT over a fold from scratch (left in the scratch table). */
async function compareAggregate(
  s: EntityState,
  a: StateAggregate,
): Promise<{ kept: unknown[]; fresh: unknown[] }> {
  const sums = async (from: string) => {
    const rs = await kw.client.query({
      query: `SELECT * FROM (${from}) ORDER BY ALL`,
      format: 'JSONEachRow',
    });
    return rs.json();
  };
  const keys = a.engine.replace(/^.*ORDER BY \((.*)\).*$/, '$1');
  const nonZero = (from: string) =>
    `SELECT ${keys}, sum(delta) AS delta, sum(events) AS events FROM (${from}) GROUP BY ${keys} HAVING delta != 0 OR events != 0`;
  return {
    kept: await sums(nonZero(`SELECT * FROM ${a.table}`)),
    fresh: await sums(
      nonZero(a.select.replace(`FROM ${s.table}`, `FROM (SELECT *, toInt8(1) AS sign FROM ${s.table}_next)`)),
    ),
  };
}

async function expectExact(): Promise<void> {
  for (const s of ENTITY_STATES) {
    const { live: l, fresh } = await compare(s);
    expect(l, `${s.table}: live rows = a fold from scratch`).toEqual(fresh);
    for (const a of s.aggregates ?? []) {
      const sums = await compareAggregate(s, a);
      expect(sums.kept, `${a.table} = its sums over a fold from scratch`).toEqual(sums.fresh);
      expect(sums.fresh.length).toBeGreaterThan(0);
    }
  }
}

describe('entity state catch-up', () => {
  const events = [
    ...generateDemo({ weeks: 30, teams: 3, seed: 7, end: new Date('2025-06-02T00:00:00Z') }),
  ] as unknown as Record<string, unknown>[];

  it('builds every state on the first catch-up, and then skips when nothing new was stored', async () => {
    const states = new EntityStates(kw.client, { lagMs: 60_000 });
    const first = await states.catchUp();
    expect(first.mode).toBe('build');
    expect(first.rebuilt).toEqual(ENTITY_STATES.map((s) => s.name));
    await insert(events.slice(0, 200));
    expect((await states.catchUp()).mode).toBe('incremental');
    expect((await states.catchUp()).mode).toBe('skipped');
    await expectExact();
  });

  it('equals a fold from scratch after every batch, whatever the order and batching of the events', async () => {
    const states = new EntityStates(kw.client, { lagMs: 0 });
    // Events in a random order (an entity's lifecycle is split across batches and arrives out of time
    // order, so every kind of entity changes state in a later catch-up), with every 17th event sent twice
    // as a duplicate raw row.
    const rest = shuffled(events.slice(200), 42);
    const batches = 6;
    const size = Math.ceil(rest.length / batches);
    for (let b = 0; b < batches; b++) {
      const batch = rest.slice(b * size, (b + 1) * size);
      await insert([...batch, ...batch.filter((_, i) => i % 17 === 0)]);
      const report = await states.catchUp();
      expect(report.mode).toBe('incremental');
      expect(report.events).toBeGreaterThanOrEqual(batch.length);
      await expectExact();
    }
    // The batching did exercise changes: many defects were folded once and again in a later catch-up.
    const batchesOf = new Map<string, Set<number>>();
    rest.forEach((e, i) => {
      const id = (e.data as { defectId?: string }).defectId;
      if (id) batchesOf.set(id, (batchesOf.get(id) ?? new Set()).add(Math.floor(i / size)));
    });
    expect([...batchesOf.values()].filter((b) => b.size > 1).length).toBeGreaterThan(20);
  });

  it("finds from events_raw exactly the entities of the typed tables (the touched keys derived from the states' definitions)", async () => {
    const rows = async (query: string, params: Record<string, unknown> = {}) => {
      const rs = await kw.client.query({
        query: `SELECT fold, toString(key) AS key FROM (${query}) ORDER BY fold, key`,
        query_params: params,
        format: 'JSONEachRow',
      });
      return rs.json<{ fold: string; key: string }>();
    };
    const touched = await rows(touchedKeysSql(ENTITY_STATES), { watermark: '1970-01-01 00:00:00' });
    const typed = await rows(`
      SELECT DISTINCT 'defect' AS fold, defect_key AS key FROM defect_events
      UNION DISTINCT SELECT DISTINCT kind, entity_key FROM delivery_events
      UNION DISTINCT SELECT DISTINCT kind, entity_key FROM quality_events`);
    expect(touched).toEqual(typed);
    expect(new Set(touched.map((r) => r.fold))).toEqual(
      new Set(ENTITY_STATES.filter((s) => s.events).map((s) => s.name)),
    );
  });

  it('serves the same KPI values as a rebuild after a changed definition', async () => {
    const ids = [
      'defect_arrivals',
      'defect_backlog',
      'defect_escape_rate',
      'review_effectiveness',
      'change_failure_rate',
      'deployment_frequency',
      'lead_time_for_changes',
      'csat',
      'nps',
    ];
    const q = { period: 'week', asOf: '2025-06-02' } as const;
    // Deployments that change after they were caught up: half are rolled back later, half get an earlier
    // first event (they move to another week, possibly leaving theirs empty). Sign-weighted counts must
    // then equal counts over freshly built states.
    const deployments = events.filter((e) => e.type === 'delivery.deployment').slice(0, 40);
    await insert(
      deployments.map((e, i) => ({
        ...e,
        id: `changed-${i}`,
        time: i % 2 ? e.time : new Date(Date.parse(e.time as string) - 9 * 86_400_000).toISOString(),
        data: { ...(e.data as object), ...(i % 2 ? { status: 'rolled_back' } : {}) },
      })),
    );
    // One instance per process, as the runtime has: concurrent queries share its catch-ups (separate
    // instances would be separate processes catching up without the shared lock, which is not allowed).
    const reader = new EntityStates(kw.client);
    await reader.catchUp();
    const before = await Promise.all(ids.map((id) => queryKpi(reader, id, q)));
    // A table written by another definition of its fold (an older release) is rebuilt on the next catch-up.
    await kw.client.command({ query: "ALTER TABLE defect_state MODIFY COMMENT 'state:older'" });
    await kw.client.command({ query: "ALTER TABLE deployment_state MODIFY COMMENT 'state:older'" });
    const report = await new EntityStates(kw.client).catchUp();
    // …and so are the states folded from them.
    expect(report.rebuilt).toEqual(['defect', 'deployment', 'change', 'review_yield', 'release_quality']);
    await expectExact();
    const after = await Promise.all(ids.map((id) => queryKpi(reader, id, q)));
    expect(after).toEqual(before);
    expect(after.every((s) => s.points.length > 0)).toBe(true);
  });

  it('rebuilds after a crash in the middle of a rebuild, derived states included', async () => {
    await kw.client.command({ query: "ALTER TABLE deployment_state MODIFY COMMENT 'state:older'" });
    // The process dies right after rebuilding the deployments, before it got to the change state folded
    // from them: the next process must still rebuild the change state.
    const first = new EntityStates(kw.client, {
      trace: (step) => {
        if (step === 'deployment: done') throw new Error('killed');
      },
    });
    await expect(first.catchUp()).rejects.toThrow('killed');
    // Then it dies while it rebuilds the change state: once right after emptying its look-up table of
    // links, once right after emptying the state itself.
    for (const fatal of ['change: prepare 1', 'change: truncate']) {
      const crash = new EntityStates(kw.client, {
        trace: (step) => {
          if (step === fatal) throw new Error('killed');
        },
      });
      await expect(crash.catchUp()).rejects.toThrow('killed');
    }
    // The next process sees what is not current and rebuilds it.
    const report = await new EntityStates(kw.client).catchUp();
    expect(report.rebuilt).toEqual(['change']);
    await expectExact();
  });

  it('stops catching up, and writes nothing, once a newer release has rebuilt a state (rolling upgrade)', async () => {
    const count = async () => {
      const rs = await kw.client.query({
        query: 'SELECT count() AS n FROM deployment_state',
        format: 'JSONEachRow',
      });
      return Number((await rs.json<{ n: string }>())[0]?.n);
    };
    await insert(
      events
        .filter((e) => e.type === 'delivery.deployment')
        .slice(0, 5)
        .map((e, i) => ({
          ...e,
          id: `upgrade-${i}`,
          data: { ...(e.data as object), status: 'rolled_back' },
        })),
    );
    const rows = await count();
    for (const [newer, message] of [
      [`state:g${STATES_GENERATION + 1}:0123456789abcdef`, /built by a newer release/],
      [`state:pending:g${STATES_GENERATION + 1}`, /built by a newer release/],
      // The same generation with another definition (a fold changed without a new generation).
      [`state:g${STATES_GENERATION}:0123456789abcdef`, /another definition of state generation/],
    ] as const) {
      await kw.client.command({ query: `ALTER TABLE deployment_state MODIFY COMMENT '${newer}'` });
      const old = new EntityStates(kw.client);
      await expect(old.catchUp()).rejects.toThrow(StatesOutdatedError);
      await expect(old.catchUp()).rejects.toThrow(message);
      expect(await count()).toBe(rows);
      const rs = await kw.client.query({
        query:
          "SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = 'deployment_state'",
        format: 'JSONEachRow',
      });
      expect((await rs.json<{ comment: string }>())[0]?.comment).toBe(newer);
    }
    // A table of an older generation (or of a release before generations) is rebuilt as before.
    await kw.client.command({
      query: "ALTER TABLE deployment_state MODIFY COMMENT 'state:0123456789abcdef'",
    });
    const report = await new EntityStates(kw.client).catchUp();
    expect(report.rebuilt).toEqual(['deployment', 'change']);
    await expectExact();
    // …unless its definition is the same: a new generation rebuilds only the states it changed.
    const rs = await kw.client.query({
      query: "SELECT comment FROM system.tables WHERE database = currentDatabase() AND name = 'review_state'",
      format: 'JSONEachRow',
    });
    const stamp = (await rs.json<{ comment: string }>())[0]?.comment as string;
    expect(stamp).toMatch(new RegExp(`^state:g${STATES_GENERATION}:[0-9a-f]{16}$`));
    const older = stamp.replace(`state:g${STATES_GENERATION}:`, `state:g${STATES_GENERATION - 1}:`);
    await kw.client.command({ query: `ALTER TABLE review_state MODIFY COMMENT '${older}'` });
    expect((await new EntityStates(kw.client).catchUp()).rebuilt).toEqual([]);
  });

  it('does not list a period that a changed entity left empty', async () => {
    const states = new EntityStates(kw.client);
    const deploy = (id: string, time: string) => ({
      id,
      source: 'test/states',
      type: 'delivery.deployment',
      time,
      team: 'team-empty',
      data: { deploymentId: 'alone', environment: 'production', status: 'success' },
    });
    await insert([deploy('alone-1', '2025-09-03T10:00:00Z')]);
    await states.catchUp();
    const q = { period: 'week', team: 'team-empty' } as const;
    const weeks = async (id: string) => (await queryKpi(states, id, q)).points.map((p) => p.periodStart);
    expect(await weeks('deployment_frequency')).toEqual(['2025-09-01']);
    // An earlier event of the same deployment: it was deployed a month before, its old week is empty.
    await insert([deploy('alone-0', '2025-08-06T10:00:00Z')]);
    await states.catchUp();
    expect(await weeks('deployment_frequency')).toEqual(['2025-08-04']);
    expect(await weeks('change_failure_rate')).toEqual(['2025-08-04']);
  });

  it('catches up a late event for an old entity and an event stored while a catch-up ran', async () => {
    const states = new EntityStates(kw.client, { lagMs: 5_000 });
    await states.catchUp();
    const defect = events.find((e) => e.type === 'defect.reported') as {
      data: { defectId: string };
      team: string;
    };
    const late = {
      id: 'late-invalid-resolution',
      source: 'test/states',
      type: 'defect.resolved',
      time: '2025-06-01T12:00:00Z',
      team: defect.team,
      data: { defectId: defect.data.defectId, resolution: 'duplicate' },
    };
    // Stored concurrently with a catch-up: either that catch-up or the next sees it, never neither.
    await Promise.all([states.catchUp(), insert([late])]);
    await states.catchUp();
    await expectExact();
    const rs = await kw.client.query({
      query: `SELECT is_valid FROM (${live(ENTITY_STATES[0] as EntityState)}) WHERE defect_id = {id:String}`,
      query_params: { id: defect.data.defectId },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ is_valid: false }]);
  });

  it('stays exact when two processes catch up concurrently under the shared Redis lock (scaled)', async () => {
    // Two catch-up owners over one warehouse, as a collector and a worker sharing a ClickHouse server.
    const key = `shewhart-test:states:${randomBytes(6).toString('hex')}`;
    const locks = [0, 1, 2].map(
      (i) => new RedisLock({ url: 'redis://127.0.0.1:6379', key, ...(i === 2 ? { waitMs: 0 } : {}) }),
    );
    try {
      const [lockA, lockB, lockNow] = locks as [RedisLock, RedisLock, RedisLock];
      // b tells when it asks for the lock; `impatient` gives up at once when another process holds it.
      const asked = latch();
      const a = new EntityStates(kw.client).useLock(lockA);
      const b = new EntityStates(kw.client).useLock({
        run: (work) => {
          asked.open();
          return lockB.run(work);
        },
      });
      const impatient = new EntityStates(kw.client).useLock(lockNow);
      // Re-sent lifecycle events under new ids: they change stored entities (re-triage, new statuses).
      const again = shuffled(events, 9)
        .slice(0, 400)
        .map((e, i) => ({ ...e, id: `again-${i}` }));
      for (const part of [again.slice(0, 200), again.slice(200)]) {
        await insert(part);
        await Promise.all([a.catchUp(), b.catchUp(), a.catchUp()]);
        await expectExact();
      }
      // Work that reads the states and stores what follows (a baseline refresh) runs exclusively: no
      // catch-up of the other process starts until it is done, and its own catch-ups run inside it.
      await insert(again.slice(0, 50).map((e, i) => ({ ...e, id: `exclusive-${i}` })));
      const order: string[] = [];
      let other: Promise<unknown> = Promise.resolve();
      await a.exclusive(async () => {
        order.push('exclusive: start');
        const report = await a.catchUp();
        order.push(`exclusive: caught up (${report.mode})`);
        // Meanwhile another process cannot catch up: one that will not wait is refused at once…
        await expect(impatient.catchUp()).rejects.toBeInstanceOf(LockUnavailableError);
        // …and one that waits has asked for the lock before this section ends.
        other = b.catchUp().then(() => order.push('other: caught up'));
        await asked.promise;
        order.push('exclusive: end');
      });
      await other;
      expect(order).toEqual([
        'exclusive: start',
        'exclusive: caught up (incremental)',
        'exclusive: end',
        'other: caught up',
      ]);
      await expectExact();
    } finally {
      await Promise.all(locks.map((l) => l.close()));
    }
  });

  it("writes an entity's cancelling row and its new row in one part (a reader sees both or neither)", async () => {
    const parts = async () => {
      const rs = await kw.client.query({
        query: `SELECT partition, name FROM system.parts
                WHERE database = currentDatabase() AND table = 'deployment_state' AND active`,
        format: 'JSONEachRow',
      });
      return rs.json<{ partition: string; name: string }>();
    };
    const states = new EntityStates(kw.client, { lagMs: 0 });
    await states.catchUp();
    await kw.client.command({ query: 'SYSTEM STOP MERGES deployment_state' });
    try {
      const before = new Set((await parts()).map((p) => p.name));
      // Deployments of several years change status: each gets a cancelling row and a new row.
      const changed = events
        .filter((e) => e.type === 'delivery.deployment')
        .filter((_, i) => i % 5 === 0)
        .map((e, i) => ({
          ...e,
          id: `one-part-${i}`,
          data: { ...(e.data as object), status: 'rolled_back' },
        }));
      await insert(changed);
      await states.catchUp();
      const fresh = (await parts()).filter((p) => !before.has(p.name));
      const perPartition = new Map<string, number>();
      for (const p of fresh) perPartition.set(p.partition, (perPartition.get(p.partition) ?? 0) + 1);
      expect(perPartition.size).toBeGreaterThan(1);
      expect([...perPartition.values()].every((n) => n === 1)).toBe(true);
      const rs = await kw.client.query({
        query: `SELECT _part, countIf(sign = -1) AS cancels, countIf(sign = 1) AS rows FROM deployment_state
                WHERE _part IN {fresh:Array(String)} GROUP BY _part`,
        query_params: { fresh: fresh.map((p) => p.name) },
        format: 'JSONEachRow',
      });
      for (const p of await rs.json<{ cancels: number | string; rows: number | string }>()) {
        expect(Number(p.cancels)).toBeGreaterThan(0);
        expect(Number(p.rows)).toBeGreaterThan(0);
      }
    } finally {
      await kw.client.command({ query: 'SYSTEM START MERGES deployment_state' });
    }
    await expectExact();
  });

  it('never lets a catch-up of this process write while a read is in flight', async () => {
    const written: string[] = [];
    const sent: string[] = [];
    const states = new EntityStates(recording(sent), { trace: (step) => written.push(step) });
    await states.catchUp();
    await insert(
      events
        .filter((e) => e.type === 'delivery.deployment')
        .slice(0, 20)
        .map((e, i) => ({ ...e, id: `read-gate-${i}`, data: { ...(e.data as object), status: 'failed' } })),
    );
    written.length = 0;
    sent.length = 0;
    const held = latch();
    const reads = [states.reading(() => held.promise), states.reading(() => held.promise)];
    const catchUp = states.catchUp();
    // Were the catch-up not held off, its first query would already have been sent: the catch-up sends it
    // before it awaits anything of its own.
    await nextTurn();
    expect(sent, 'nothing sent while two reads are in flight').toEqual([]);
    // A read arriving after the waiting catch-up goes after it (a stream of reads cannot starve it).
    const late = states.reading(async () => [...written]);
    held.open();
    await Promise.all([...reads, catchUp]);
    const seen = await late;
    expect(seen).toContain('deployment: write');
    await expectExact();
    // An exclusive section (a baseline refresh in the embedded runtime) holds this process's catch-ups
    // off as well, without any shared lock.
    await insert([{ ...(events[0] as object), id: 'read-gate-exclusive', time: '2025-06-03T00:00:00Z' }]);
    written.length = 0;
    sent.length = 0;
    const during: string[][] = [];
    const entered = latch();
    const asked = latch();
    const section = states.exclusive(async () => {
      entered.open();
      await asked.promise;
      await nextTurn();
      during.push([...sent]);
    });
    await entered.promise;
    const waiting = states.catchUp();
    asked.open();
    await Promise.all([section, waiting]);
    expect(during).toEqual([[]]);
    expect(written.length).toBeGreaterThan(0);
  });
});
