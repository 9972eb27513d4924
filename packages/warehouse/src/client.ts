import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client';

export interface WarehouseOptions {
  /** A ClickHouse server over HTTP; unset → the embedded engine (chdb) under `dataDir`. */
  url?: string;
  username?: string;
  password?: string;
  database: string;
  dataDir: string;
  /**
   * Server only: how long one statement may take, client and server side alike (`max_execution_time`),
   * so a statement the client gave up on does not go on writing beside its retry. Default 10 minutes.
   */
  requestTimeoutMs?: number;
}

export interface Warehouse {
  readonly client: ClickHouseClient;
  readonly kind: 'embedded' | 'server';
  readonly database: string;
  /** Where the embedded engine keeps its files (embedded only). */
  readonly path?: string;
  close(): Promise<void>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Opens the warehouse: the same `@clickhouse/client` API in both deployments, only the connection
 * differs. The database is created when missing (an identifier from validated config, never user input).
 */
export async function openWarehouse(options: WarehouseOptions): Promise<Warehouse> {
  if (!IDENTIFIER.test(options.database)) throw new Error(`invalid database name: ${options.database}`);
  if (options.url) return openServer(options);
  return openEmbedded(options);
}

async function openServer(options: WarehouseOptions): Promise<Warehouse> {
  const timeoutMs = options.requestTimeoutMs ?? 600_000;
  const settings: ClickHouseSettings = {
    max_execution_time: Math.max(1, Math.floor(timeoutMs / 1000) - 1),
    // An insert is acknowledged once it is stored and visible, whatever the user's profile says: events
    // are acknowledged upstream only then, and the duplicate check reads what was inserted.
    async_insert: 0,
    // Idempotency is ours ((source, id), and the catch-up's scratch tables are refilled with the same
    // rows on purpose): a server that deduplicates identical insert blocks must not drop any.
    insert_deduplicate: 0,
  };
  const common = {
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    request_timeout: timeoutMs,
    clickhouse_settings: settings,
  };
  const bootstrap = createClient(common);
  try {
    // Asked first: a user without the CREATE DATABASE grant can still use a database made for it.
    const rs = await bootstrap.query({
      query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}',
      query_params: { db: options.database },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string | number }>();
    if (Number(row?.n) === 0) {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
    }
  } finally {
    await bootstrap.close();
  }
  const client = createClient({ ...common, database: options.database });
  return { client, kind: 'server', database: options.database, close: () => client.close() };
}

async function openEmbedded(options: WarehouseOptions): Promise<Warehouse> {
  const path = resolve(options.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // Loaded lazily: the engine is a large native library that the scaled deployment never needs.
  const { createChdbConnection } = await import('chdb/connection');
  const client = createClient({ connection: createChdbConnection({ path }) } as Parameters<
    typeof createClient
  >[0]);
  // The embedded connection is one stateful session: select the database once for all later queries.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  await client.command({ query: `USE ${options.database}` });
  return { client, kind: 'embedded', database: options.database, path, close: () => client.close() };
}
