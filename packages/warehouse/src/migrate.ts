import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { type RepairReport, repairDerived } from './derive.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** Numbered SQL files `NNNN_name.sql`, in order. One statement per file. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: number;
  /** The recovery of the derived tables that follows the migrations (see `migrate`). */
  repair: RepairReport;
}

export interface MigrateOptions {
  /**
   * Scaled deployment: the lock the event writers flush under (`EventStore`'s `lock`), held around the
   * recovery of the derived tables so that it never derives an event beside a writer's flush.
   */
  lock?: <T>(work: (held: () => void) => Promise<T>) => Promise<T>;
}

/**
 * Applies every migration not yet recorded in `schema_migrations`, in order, and records it.
 * Statements are idempotent (IF NOT EXISTS), so two workers racing at start-up cannot break anything.
 * A recorded migration whose file changed is refused: history is append-only.
 *
 * Then recovers the derived tables (derive.ts): whatever a crash left out of them since the last repair
 * is derived, before any writer's duplicate check or query. In a directory from before the derive step,
 * that is every event its views lost. Runtimes call this beside no catch-up of the KPI entity states
 * (`exclusive`), so that moving their watermark back for repaired events cannot be overtaken.
 */
export async function migrate(
  client: ClickHouseClient,
  migrations = loadMigrations(),
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const rs = await client.query({
    query: 'SELECT version, any(checksum) AS checksum FROM schema_migrations GROUP BY version',
    format: 'JSONEachRow',
  });
  const done = new Map(
    (await rs.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]),
  );
  const applied: string[] = [];
  for (const m of migrations) {
    const recorded = done.get(m.version);
    if (recorded !== undefined) {
      if (recorded !== m.checksum) {
        throw new Error(`migration ${m.name} was changed after it was applied; add a new migration instead`);
      }
      continue;
    }
    await client.command({ query: m.sql });
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    applied.push(m.name);
  }
  const lock = options.lock ?? ((work) => work(() => {}));
  const repair = await lock((held) => repairDerived(client, { held }));
  return { applied, alreadyApplied: migrations.length - applied.length, repair };
}
