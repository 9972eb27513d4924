/**
 * The state tables and their generations: DDL, the stamp each table carries, and which tables a catch-up
 * must rebuild.
 *
 * A state table carries the generation and hash of its definition (columns, partition, fold SQL and
 * aggregates) as its comment. When a release changes a definition, the table is rebuilt from the typed
 * event tables on the first catch-up, and a process of an older release that meets the newer generation
 * stops catching up (`StatesOutdatedError`) rather than rebuilding the table back.
 */
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { StorageUnavailableError } from '@shewhart/warehouse';
import { ENTITY_STATES, type EntityState, STATES_GENERATION } from './definitions.js';

/**
 * A state table was built by a newer release (a rolling upgrade is under way): this process must not write
 * to it. Queries answer 503 until the process is replaced by the new release.
 */
export class StatesOutdatedError extends StorageUnavailableError {
  override readonly name: string = 'StatesOutdatedError';
}

/** The hash of a state's definition: its columns, partition, fold and aggregates. */
export function definitionHash(s: EntityState): string {
  const text = JSON.stringify([s.columns, s.partition, s.fold('{keys}'), s.aggregates ?? []]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The comment of a state table being built by this release. */
const PENDING = `state:pending:g${STATES_GENERATION}`;

/** Marks a state table as being built: a crash before `markCurrent` leaves it to be rebuilt. */
export const markPending = (s: EntityState) => `ALTER TABLE ${s.table} MODIFY COMMENT '${PENDING}'`;

/** Stamps a state table built in full: `state:g<generation>:<hash>`. */
export const markCurrent = (s: EntityState) =>
  `ALTER TABLE ${s.table} MODIFY COMMENT 'state:g${STATES_GENERATION}:${definitionHash(s)}'`;

/** The generation a state table's comment names; 0 for none (no table, or a release before generations). */
function generationOf(comment: string | undefined): number {
  const m = /^state:(?:pending:)?g(\d+)(?::|$)/.exec(comment ?? '');
  return m ? Number(m[1]) : 0;
}

/**
 * Returns the states whose table is not current (missing, pending, or of an older definition), recreated
 * empty, and the states folded from them (ENTITY_STATES is in dependency order), which are rebuilt after
 * them; throws `StatesOutdatedError` when a table was built by a newer release, or by another definition of
 * this release's generation. `scratch`: also make sure every current state has its scratch tables.
 */
export async function statesToRebuild(client: ClickHouseClient, scratch: boolean): Promise<Set<string>> {
  const rs = await client.query({
    query: `SELECT name, comment FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
    query_params: { names: ENTITY_STATES.map((s) => s.table) },
    format: 'JSONEachRow',
  });
  const comments = new Map(
    (await rs.json<{ name: string; comment: string }>()).map((r) => [r.name, r.comment]),
  );
  const rebuild = new Set<string>();
  for (const s of ENTITY_STATES) {
    const comment = comments.get(s.table);
    // Current whatever generation built it: a release that leaves a state's definition alone does
    // not rebuild it.
    if (comment?.endsWith(`:${definitionHash(s)}`) && generationOf(comment) > 0) continue;
    const generation = generationOf(comment);
    if (generation > STATES_GENERATION) {
      throw new StatesOutdatedError(
        `KPI entity state ${s.table} was built by a newer release (state generation ${generation}, this process has ${STATES_GENERATION}): this process no longer catches up; replace it with the new release`,
      );
    }
    // The same generation with another definition: two releases would rebuild each other's tables
    // forever. A fold changed without a new generation (generation.test.ts guards against it).
    if (generation === STATES_GENERATION && !comment?.startsWith('state:pending:')) {
      throw new StatesOutdatedError(
        `KPI entity state ${s.table} was built by another definition of state generation ${generation}: a release changed a state without raising STATES_GENERATION; run one release only`,
      );
    }
    rebuild.add(s.name);
  }
  for (const s of ENTITY_STATES) {
    if (rebuild.has(s.name)) await recreate(client, s);
    else if (scratch) await scratchTables(client, s, false);
  }
  // A state folded from a rebuilt one is rebuilt after it (its table stays: the build empties it).
  for (const s of ENTITY_STATES) if (s.from?.some((f) => rebuild.has(f.name))) rebuild.add(s.name);
  return rebuild;
}

/** Drops a state table that is not current and creates it empty, with its aggregates and scratch tables. */
async function recreate(client: ClickHouseClient, s: EntityState): Promise<void> {
  // The stamp is written by the build that completes (`markCurrent`): a table left half-built by a crash
  // stays pending and is rebuilt by the next run.
  for (const a of s.aggregates ?? []) {
    await client.command({ query: `DROP TABLE IF EXISTS ${a.table}_mv` });
    await client.command({ query: `DROP TABLE IF EXISTS ${a.table}` });
  }
  await client.command({ query: `DROP TABLE IF EXISTS ${s.table}` });
  const cols = s.columns.map(([n, t]) => `${n} ${t}`).join(', ');
  await client.command({
    query: `CREATE TABLE ${s.table} (entity_key UInt64, ${cols}, version UInt64, sign Int8)
      ENGINE = VersionedCollapsingMergeTree(sign, version) PARTITION BY ${s.partition}
      ORDER BY (team, project, entity_key)
      COMMENT '${PENDING}'`,
  });
  for (const a of s.aggregates ?? []) {
    await client.command({ query: `CREATE TABLE ${a.table} (${a.columns}) ENGINE = ${a.engine}` });
    await client.command({
      query: `CREATE MATERIALIZED VIEW ${a.table}_mv TO ${a.table} AS ${a.select}`,
    });
  }
  await scratchTables(client, s, true);
}

/** A catch-up's scratch tables of a state: its new folds (`_next`) and its live rows before (`_prev`). */
async function scratchTables(client: ClickHouseClient, s: EntityState, recreate: boolean): Promise<void> {
  const cols = s.columns.map(([n, t]) => `${n} ${t}`).join(', ');
  for (const [suffix, extra] of [
    ['next', ''],
    ['prev', ', version UInt64'],
  ] as const) {
    if (recreate) await client.command({ query: `DROP TABLE IF EXISTS ${s.table}_${suffix}` });
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS ${s.table}_${suffix} (entity_key UInt64, ${cols}${extra})
        ENGINE = MergeTree ORDER BY entity_key`,
    });
  }
}
