import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client';
import { StorageUnavailableError } from './errors.js';

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
  /**
   * Embedded only: the engine's memory ceiling (`max_server_memory_usage`, which the engine measures
   * against the whole process's RSS). Work that would go beyond it fails (MEMORY_LIMIT_EXCEEDED) instead
   * of growing the process. Unset: the engine's default (90 % of the machine's memory).
   */
  maxMemoryBytes?: number;
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
  const client = bounded(createClient({ ...common, database: options.database }));
  return { client, kind: 'server', database: options.database, close: () => client.close() };
}

async function openEmbedded(options: WarehouseOptions): Promise<Warehouse> {
  const path = resolve(options.dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  // Loaded lazily: the engine is a large native library that the scaled deployment never needs.
  const { createChdbConnection } = await import('chdb/connection');
  // The engine takes server configuration only from the first connection to a directory, and
  // `createChdbConnection` passes no arguments: a first session carries the memory ceiling, and later
  // connections to the same directory share its engine. It lives as long as the client.
  const { Session } = await import('chdb');
  const engine = options.maxMemoryBytes
    ? new Session(path, { connectionArgs: [`--max_server_memory_usage=${options.maxMemoryBytes}`] })
    : undefined;
  const client = bounded(
    createClient({
      connection: createChdbConnection({ path }),
      // The embedded connection is one session, and a statement's settings are SET on it: they would
      // outlive the statement. Every statement therefore sets its own time limit — none, unless it runs
      // for a request (`withStatementDeadline`).
      clickhouse_settings: { max_execution_time: 0 },
    } as Parameters<typeof createClient>[0]),
  );
  // The embedded connection is one stateful session: select the database once for all later queries.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  await client.command({ query: `USE ${options.database}` });
  const close = async () => {
    await client.close();
    engine?.close();
  };
  return { client, kind: 'embedded', database: options.database, path, close };
}

/** The deadline of the request a statement runs for. */
interface StatementDeadline {
  /** Epoch milliseconds. */
  at: number;
  /** Aborted at the deadline: a statement still queued then is never started. */
  signal: AbortSignal;
}

const statementDeadline = new AsyncLocalStorage<StatementDeadline>();

/**
 * Runs `work` under a request's deadline: every statement it issues through a warehouse client gets
 * `max_execution_time` = the time left (so the engine stops it, rather than running on for a client that
 * was answered 503), and a statement issued after the deadline fails at once without reaching the engine.
 */
export function withStatementDeadline<T>(deadline: StatementDeadline, work: () => Promise<T>): Promise<T> {
  return statementDeadline.run(deadline, work);
}

/** Runs `work` with no request deadline: shared work a request merely started (a catch-up) is not cut short. */
export function withoutStatementDeadline<T>(work: () => T): T {
  return statementDeadline.exit(work);
}

/** The client, with every statement bounded by the deadline of the request it runs for (if any). */
function bounded(client: ClickHouseClient): ClickHouseClient {
  for (const method of ['query', 'command', 'exec', 'insert'] as const) {
    const run = (client[method] as (params: Record<string, unknown>) => Promise<unknown>).bind(client);
    Object.assign(client, {
      [method]: (params: Record<string, unknown>) => {
        const deadline = statementDeadline.getStore();
        if (!deadline) return run(params);
        const left = deadline.at - Date.now();
        if (left <= 0 || deadline.signal.aborted) {
          return Promise.reject(
            new StorageUnavailableError('the request deadline passed before this statement started'),
          );
        }
        return run({
          ...params,
          abort_signal: params.abort_signal ?? deadline.signal,
          clickhouse_settings: {
            ...(params.clickhouse_settings as ClickHouseSettings | undefined),
            max_execution_time: left / 1000,
          },
        });
      },
    });
  }
  return client;
}
