import { z } from 'zod';

/**
 * Configuration is parsed once, at start-up, from the environment (and CLI flags layered on top by the
 * caller). Nothing else in Shewhart reads `process.env`. Bad values fail fast naming the variable.
 */
const intFrom = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const EnvSchema = z.object({
  SHEWHART_DATA_DIR: z.string().min(1).default('./data'),
  CLICKHOUSE_URL: optionalString.pipe(z.url({ message: 'must be an http(s) URL' }).optional()),
  CLICKHOUSE_USER: optionalString,
  CLICKHOUSE_PASSWORD: optionalString,
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('shewhart'),
  /** How long one statement may take on the server (a first build of the KPI states takes about a minute at 10 M events). */
  CLICKHOUSE_REQUEST_TIMEOUT_MS: intFrom(600_000, 1_000),
  /** Comma-separated bearer tokens, one list per permission (a token may be in several lists). */
  SHEWHART_INGEST_TOKENS: optionalString,
  SHEWHART_READ_TOKENS: optionalString,
  SHEWHART_DECIDE_TOKENS: optionalString,
  /** The longest an HTTP request may take before it is answered 503 with Retry-After. */
  SHEWHART_REQUEST_TIMEOUT_MS: intFrom(30_000, 100),
  SHEWHART_CONFIG: optionalString,
  SHEWHART_MAX_BODY_BYTES: intFrom(16 * 1024 * 1024),
  /**
   * The embedded engine's memory ceiling (ClickHouse `max_server_memory_usage`, measured against the
   * process's RSS): work beyond it is refused (503) rather than growing the process. 0: the engine's
   * default (90 % of the machine's memory). Large data directories (millions of events) need more.
   */
  SHEWHART_MAX_MEMORY_BYTES: intFrom(1024 * 1024 * 1024, 0),
  SHEWHART_HOST: z.string().default('127.0.0.1'),
  PORT: intFrom(8080, 0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHEWHART_FLUSH_ROWS: intFrom(20_000),
  SHEWHART_FLUSH_MS: intFrom(50),
  SHEWHART_BASELINE_REFRESH_MS: intFrom(10_000),
  /** How far a catch-up of the KPI entity states reaches back for inserts still in flight. */
  SHEWHART_CATCHUP_LAG_MS: intFrom(5_000, 0),
  KAFKA_BROKERS: optionalString,
  KAFKA_CLIENT_ID: z.string().default('shewhart'),
  KAFKA_PARTITIONS: intFrom(6),
  KAFKA_GROUP_ID: z.string().default('shewhart-workers'),
  // Scaled deployment (services/collector, services/worker; see docs/scaled.md).
  /** Prepended to every topic name: several environments (or test runs) can share one cluster. */
  SHEWHART_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'may hold only letters, digits, . _ -')
    .default(''),
  KAFKA_PUBLISH_TIMEOUT_MS: intFrom(5_000),
  KAFKA_SESSION_TIMEOUT_MS: intFrom(30_000, 6_000),
  KAFKA_MAX_BATCH_SIZE: intFrom(10_000),
  KAFKA_FETCH_MAX_BYTES_PER_PARTITION: intFrom(4 * 1024 * 1024),
  KAFKA_CONSUMER_CONCURRENCY: intFrom(3),
  SHEWHART_WORKER_PORT: intFrom(8081, 0),
  SHEWHART_DLQ_ATTEMPTS: intFrom(3),
  SHEWHART_SHUTDOWN_TIMEOUT_MS: intFrom(30_000),
  /** Redis of the scaled deployment (the lock its processes share; BullMQ jobs). */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  /**
   * Alerts (packages/alerts): where deliveries run — in this process or BullMQ on Redis. Unset: in
   * process for `shewhart start`; BullMQ in the scaled worker when REDIS_URL or CLICKHOUSE_URL is set.
   */
  SHEWHART_ALERT_QUEUE: z.enum(['inline', 'bullmq']).optional(),
  /** How often every alert rule is evaluated besides after each baseline refresh. */
  SHEWHART_ALERT_EVALUATE_MS: intFrom(300_000, 1_000),
  /** Key prefix of the BullMQ queues (one per environment sharing a Redis). */
  SHEWHART_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'may hold only letters, digits, . _ -')
    .default('shewhart'),
  /** The server's address as receivers reach it, for absolute chart links in alert messages. */
  SHEWHART_PUBLIC_URL: optionalString.pipe(z.url({ message: 'must be an http(s) URL' }).optional()),
});

export type Env = z.output<typeof EnvSchema>;

export interface StorageConfig {
  /** Set → a ClickHouse server over HTTP; unset → the embedded engine under `dataDir`. */
  url?: string;
  username?: string;
  password?: string;
  database: string;
  dataDir: string;
  /** Server only: the longest a statement may take. */
  requestTimeoutMs?: number;
  /** Embedded only: the engine's memory ceiling in bytes (undefined: the engine's default). */
  maxMemoryBytes?: number;
}

export interface AppConfig {
  storage: StorageConfig;
  http: { host: string; port: number; maxBodyBytes: number; requestTimeoutMs: number };
  /**
   * Bearer tokens (secrets) per permission: `ingest` posts events, `read` reads KPIs, charts, baselines
   * and signals, `decide` records decisions (rebase, assignable causes) and reads. All empty →
   * authentication is off (the embedded default listens on 127.0.0.1 only).
   */
  auth: AuthTokens;
  logLevel: Env['LOG_LEVEL'];
  /** The objectives file (YAML), if any. */
  objectivesFile?: string;
  writer: { flushRows: number; flushMs: number };
  /** Quiet period after new data before baselines and signals are refreshed. */
  baselineRefreshMs: number;
  /** A catch-up re-reads events ingested this long before the previous one started (inserts in flight). */
  catchUpLagMs: number;
  kafka?: {
    brokers: string[];
    clientId: string;
    partitions: number;
    groupId: string;
    topicPrefix: string;
    publishTimeoutMs: number;
    sessionTimeoutMs: number;
    maxBatchSize: number;
    fetchMaxBytesPerPartition: number;
    consumerConcurrency: number;
  };
  /** The scaled worker: its health/metrics port and the store attempts before a message is dead-lettered. */
  worker: { port: number; deadLetterAttempts: number };
  shutdownTimeoutMs: number;
  /** Redis of the scaled deployment; `configured` when REDIS_URL was given (not the default). */
  redis: { url: string; configured: boolean };
  alerts: { queue?: 'inline' | 'bullmq'; evaluateEveryMs: number; queuePrefix: string; publicUrl?: string };
}

export interface AuthTokens {
  ingest: string[];
  read: string[];
  decide: string[];
}

const tokenList = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<Env> = {}): AppConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = EnvSchema.safeParse({ ...env, ...defined });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    storage: {
      url: e.CLICKHOUSE_URL,
      username: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE,
      requestTimeoutMs: e.CLICKHOUSE_REQUEST_TIMEOUT_MS,
      dataDir: e.SHEWHART_DATA_DIR,
      maxMemoryBytes: e.SHEWHART_MAX_MEMORY_BYTES || undefined,
    },
    http: {
      host: e.SHEWHART_HOST,
      port: e.PORT,
      maxBodyBytes: e.SHEWHART_MAX_BODY_BYTES,
      requestTimeoutMs: e.SHEWHART_REQUEST_TIMEOUT_MS,
    },
    auth: {
      ingest: tokenList(e.SHEWHART_INGEST_TOKENS),
      read: tokenList(e.SHEWHART_READ_TOKENS),
      decide: tokenList(e.SHEWHART_DECIDE_TOKENS),
    },
    logLevel: e.LOG_LEVEL,
    objectivesFile: e.SHEWHART_CONFIG,
    writer: { flushRows: e.SHEWHART_FLUSH_ROWS, flushMs: e.SHEWHART_FLUSH_MS },
    baselineRefreshMs: e.SHEWHART_BASELINE_REFRESH_MS,
    catchUpLagMs: e.SHEWHART_CATCHUP_LAG_MS,
    kafka: e.KAFKA_BROKERS
      ? {
          brokers: e.KAFKA_BROKERS.split(',').map((b) => b.trim()),
          clientId: e.KAFKA_CLIENT_ID,
          partitions: e.KAFKA_PARTITIONS,
          groupId: e.KAFKA_GROUP_ID,
          topicPrefix: e.SHEWHART_TOPIC_PREFIX,
          publishTimeoutMs: e.KAFKA_PUBLISH_TIMEOUT_MS,
          sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
          maxBatchSize: e.KAFKA_MAX_BATCH_SIZE,
          fetchMaxBytesPerPartition: e.KAFKA_FETCH_MAX_BYTES_PER_PARTITION,
          consumerConcurrency: e.KAFKA_CONSUMER_CONCURRENCY,
        }
      : undefined,
    worker: { port: e.SHEWHART_WORKER_PORT, deadLetterAttempts: e.SHEWHART_DLQ_ATTEMPTS },
    shutdownTimeoutMs: e.SHEWHART_SHUTDOWN_TIMEOUT_MS,
    redis: { url: e.REDIS_URL, configured: String(defined.REDIS_URL ?? env.REDIS_URL ?? '').trim() !== '' },
    alerts: {
      queue: e.SHEWHART_ALERT_QUEUE,
      evaluateEveryMs: e.SHEWHART_ALERT_EVALUATE_MS,
      queuePrefix: e.SHEWHART_QUEUE_PREFIX,
      publicUrl: e.SHEWHART_PUBLIC_URL,
    },
  };
}

/** Paths pino must never print: tokens, passwords, authorization headers. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'auth',
  '*.auth',
];
export { DebouncedTask } from './debounced.js';
export {
  ConfigFileError,
  type FileProblem,
  KNOWN_SECTIONS,
  loadConfigFile,
  parseConfigFile,
  type Report,
  type Section,
  type SectionName,
} from './file.js';
export { createLogger } from './logger.js';
export { readSecret, Secret } from './secrets.js';
