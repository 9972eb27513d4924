/**
 * Options of the Kafka adapter, their defaults and validation, the logger interface, and the small
 * policies the adapter shares (error classification, redelivery backoff). The service parses its own
 * environment once and passes the result here; nothing in this package reads `process.env`.
 */

/** pino-compatible: `logger.warn({ topic }, 'message')`. A pino logger satisfies it. */
export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Codecs kafkajs ships; snappy/lz4/zstd would need codec packages (see the kafka-raw benchmark). */
export type KafkaCompression = 'none' | 'gzip';

export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

export interface KafkaBusOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  clientId?: string;
  ssl?: boolean;
  sasl?: KafkaSasl;
  /** Producer compression (default none: gzip costs more CPU than it saves on a local network). */
  compression?: KafkaCompression;
  /** Upper bound of one publish call, connection included (default 5000). */
  publishTimeoutMs?: number;
  /** Retry-After handed to callers with BusUnavailableError (default 5). */
  retryAfterSeconds?: number;
  /** TCP connect timeout per broker connection (default 3000). */
  connectionTimeoutMs?: number;
  /** Per-request timeout (default 10000). */
  requestTimeoutMs?: number;
  /** Replication factor for topics created by ensureTopics; -1 = the broker's default (default -1). */
  replicationFactor?: number;
  /** Default upper bound of messages per handler call when subscribe() gives none (default 500). */
  maxBatchSize?: number;
  /** Group session timeout (default 30000; the broker accepts 6000..300000 by default). */
  sessionTimeoutMs?: number;
  /** Heartbeat interval, well under the session timeout (default 3000). */
  heartbeatIntervalMs?: number;
  /** How long a fetch waits on the broker for data (default 500: stop() and tests stay quick). */
  fetchMaxWaitMs?: number;
  /**
   * Upper bound of one fetch per partition (default 1 MiB, kafkajs's). A consumer whose sink pays a
   * fixed cost per call (a ClickHouse insert) raises it to get larger handler batches from a backlog.
   */
  fetchMaxBytesPerPartition?: number;
  /**
   * Partitions whose batches are handled at the same time by one member (default 1). Batches of one
   * partition never overlap; offsets stay per partition. A sink that waits on I/O (a ClickHouse
   * insert) overlaps it with decoding the next partition's batch.
   */
  partitionsConsumedConcurrently?: number;
  /** First and largest delay before redelivering a batch whose handler rejected (200 / 30000). */
  redeliveryBackoffMs?: { initial: number; max: number };
  logger?: BusLogger;
  /** Lowest kafkajs level forwarded to the logger (default warn). */
  clientLogLevel?: 'error' | 'warn' | 'info' | 'debug';
}

export type ResolvedKafkaBusOptions = Required<Omit<KafkaBusOptions, 'sasl'>> & {
  sasl: KafkaSasl | undefined;
};

const positive = (key: string, value: number): number => {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`KafkaBus option ${key} must be a positive number, got ${value}`);
  }
  return value;
};

export function resolveKafkaOptions(options: KafkaBusOptions): ResolvedKafkaBusOptions {
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    throw new Error('KafkaBus option brokers must list at least one host:port');
  }
  for (const b of options.brokers) {
    if (!/^[^\s:]+:\d+$/.test(b)) throw new Error(`KafkaBus option brokers: '${b}' is not host:port`);
  }
  const compression = options.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') {
    throw new Error(`KafkaBus option compression must be none or gzip, got ${String(compression)}`);
  }
  const backoff = options.redeliveryBackoffMs ?? { initial: 200, max: 30_000 };
  positive('redeliveryBackoffMs.initial', backoff.initial);
  positive('redeliveryBackoffMs.max', backoff.max);
  const replicationFactor = options.replicationFactor ?? -1;
  if (replicationFactor !== -1) positive('replicationFactor', replicationFactor);
  const sessionTimeoutMs = positive('sessionTimeoutMs', options.sessionTimeoutMs ?? 30_000);
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 3_000);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new Error('KafkaBus option heartbeatIntervalMs must be lower than sessionTimeoutMs');
  }
  return {
    brokers: [...options.brokers],
    clientId: options.clientId ?? 'shewhart',
    ssl: options.ssl ?? false,
    sasl: options.sasl,
    compression,
    publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs ?? 5_000),
    retryAfterSeconds: positive('retryAfterSeconds', options.retryAfterSeconds ?? 5),
    connectionTimeoutMs: positive('connectionTimeoutMs', options.connectionTimeoutMs ?? 3_000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? 10_000),
    replicationFactor,
    maxBatchSize: positive('maxBatchSize', options.maxBatchSize ?? 500),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    fetchMaxWaitMs: positive('fetchMaxWaitMs', options.fetchMaxWaitMs ?? 500),
    partitionsConsumedConcurrently: positive(
      'partitionsConsumedConcurrently',
      options.partitionsConsumedConcurrently ?? 1,
    ),
    fetchMaxBytesPerPartition: positive(
      'fetchMaxBytesPerPartition',
      options.fetchMaxBytesPerPartition ?? 1024 * 1024,
    ),
    redeliveryBackoffMs: { initial: backoff.initial, max: Math.max(backoff.initial, backoff.max) },
    logger: options.logger ?? stderrLogger,
    clientLogLevel: options.clientLogLevel ?? 'warn',
  };
}

/** What may be logged about the options: never the SASL password. */
export function describeKafkaOptions(o: ResolvedKafkaBusOptions): Record<string, unknown> {
  return {
    brokers: o.brokers,
    clientId: o.clientId,
    ssl: o.ssl,
    sasl: o.sasl ? { mechanism: o.sasl.mechanism, username: o.sasl.username } : undefined,
    compression: o.compression,
    publishTimeoutMs: o.publishTimeoutMs,
  };
}

/** Default logger: warnings and errors as JSON lines on stderr, the rest dropped. */
export const stderrLogger: BusLogger = {
  info: () => {},
  debug: () => {},
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', ...obj, msg })}\n`),
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', ...obj, msg })}\n`),
};

/**
 * Bounded exponential backoff with equal jitter: attempt 1 waits between initial/2 and initial, each
 * further attempt doubles the ceiling up to max. Jitter keeps consumers of a failing sink from
 * retrying in lockstep.
 */
export function redeliveryDelayMs(attempt: number, backoff: { initial: number; max: number }): number {
  const ceiling = Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/**
 * Kafka protocol errors that say "this data is wrong", not "the broker is away": retrying the same
 * request later cannot succeed, so the caller must see them as they are rather than as a 503.
 */
const DATA_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
]);

/** The Kafka protocol error type found along an error's cause chain, if any. */
export function kafkaErrorType(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && e && typeof e === 'object'; depth++) {
    const err = e as ErrorLike;
    if (typeof err.type === 'string') return err.type;
    e = err.originalError ?? err.cause;
  }
  return undefined;
}

export function isDataError(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && DATA_ERRORS.has(type);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
