import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';

export interface WarehouseOptions {
  /** A ClickHouse server over HTTP; unset → the embedded engine (chdb) under `dataDir`. */
  url?: string;
  username?: string;
  password?: string;
  database: string;
  dataDir: string;
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
  const auth = { username: options.username ?? 'default', password: options.password ?? '' };
  const bootstrap = createClient({ url: options.url, ...auth });
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  } finally {
    await bootstrap.close();
  }
  const client = createClient({
    url: options.url,
    ...auth,
    database: options.database,
  });
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
