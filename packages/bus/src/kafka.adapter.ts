/**
 * The Kafka adapter of the bus port (kafkajs 2.2.4): an idempotent producer with acks=all whose
 * publish is bounded in time, topic creation from the catalogue, and consumer groups that commit only
 * what the handler acknowledged (kafka.subscription.ts).
 */
import kafkajs, { type Admin, type Kafka, type LogEntry, type Producer } from 'kafkajs';
import {
  type BusLogger,
  describeKafkaOptions,
  errorMessage,
  isDataError,
  type KafkaBusOptions,
  kafkaErrorType,
  type ResolvedKafkaBusOptions,
  resolveKafkaOptions,
} from './kafka.config.js';
import { KafkaSubscription } from './kafka.subscription.js';
import {
  type Bus,
  BusUnavailableError,
  type OutgoingMessage,
  type PublishReceipt,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from './port.js';

export type { BusLogger, KafkaBusOptions, KafkaCompression, KafkaSasl } from './kafka.config.js';

const { Kafka: KafkaClient, CompressionTypes, logLevel, Partitioners } = kafkajs;

/**
 * One idempotent producer session. After a failed or timed-out send the outcome of that send is
 * unknown, and kafkajs would reuse the unacknowledged sequence numbers for the next batch: the broker
 * could then take new messages for duplicates of the lost ones and drop them while acking. So a
 * session that saw a failure is retired (new producer id next time) and disconnected once its
 * in-flight sends settle.
 */
interface ProducerSession {
  producer: Producer;
  connected: Promise<void>;
  inFlight: number;
  retired: boolean;
}

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  readonly #options: ResolvedKafkaBusOptions;
  readonly #log: BusLogger;
  readonly #kafka: Kafka;
  #session: ProducerSession | undefined;
  #retiring = new Set<ProducerSession>();
  #admin: Promise<Admin> | undefined;
  #subscriptions = new Set<KafkaSubscription>();
  #closed = false;

  constructor(options: KafkaBusOptions) {
    this.#options = resolveKafkaOptions(options);
    this.#log = this.#options.logger;
    const o = this.#options;
    this.#kafka = new KafkaClient({
      clientId: o.clientId,
      brokers: o.brokers,
      ssl: o.ssl,
      ...(o.sasl ? { sasl: { ...o.sasl } as never } : {}),
      connectionTimeout: o.connectionTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      // Client-level retries (metadata, admin, consumer): short enough that callers see failures.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
      logLevel: { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG }[
        o.clientLogLevel
      ],
      logCreator: () => (entry) => this.#forwardClientLog(entry),
    });
    this.#log.debug({ kafka: describeKafkaOptions(o) }, 'kafka bus configured');
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    this.#assertOpen();
    const admin = await this.#adminClient();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length > 0) {
        try {
          await admin.createTopics({
            waitForLeaders: true,
            timeout: this.#options.requestTimeoutMs,
            topics: missing.map((t) => ({
              topic: t.name,
              numPartitions: t.partitions,
              replicationFactor: this.#options.replicationFactor,
              configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
            })),
          });
        } catch (error) {
          // Another process created them between listTopics and createTopics: that is success.
          if (kafkaErrorType(error) !== 'TOPIC_ALREADY_EXISTS' && !isAllAlreadyExists(error)) throw error;
        }
        this.#log.info({ topics: missing.map((t) => t.name) }, 'kafka topics created');
      }
      const present = topics.filter((t) => existing.has(t.name));
      if (present.length === 0) return;
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) });
      for (const spec of present) {
        const have = metadata.find((m) => m.name === spec.name)?.partitions.length ?? 0;
        if (have < spec.partitions) {
          // Growing partitions moves keys to other partitions: per-key order holds only for new messages.
          await admin.createPartitions({ topicPartitions: [{ topic: spec.name, count: spec.partitions }] });
          this.#log.warn(
            { topic: spec.name, from: have, to: spec.partitions },
            'kafka topic partitions added',
          );
        } else if (have > spec.partitions) {
          this.#log.warn(
            { topic: spec.name, have, declared: spec.partitions },
            'kafka topic has more partitions than declared; Kafka cannot shrink a topic, leaving it',
          );
        }
      }
    } catch (error) {
      if (isDataError(error)) throw error;
      throw new BusUnavailableError(
        `Kafka: ensuring topics failed: ${errorMessage(error)}`,
        this.#options.retryAfterSeconds,
        { cause: error },
      );
    }
  }

  /** Kafka-only housekeeping (benchmarks, tests): deletes topics, ignoring ones that do not exist. */
  async deleteTopics(names: readonly string[]): Promise<void> {
    this.#assertOpen();
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const topics = names.filter((n) => existing.has(n));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: this.#options.requestTimeoutMs });
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<PublishReceipt> {
    this.#assertOpen();
    if (messages.length === 0) return { delivered: 0 };
    const session = this.#producerSession();
    session.inFlight++;
    const send = (async () => {
      await session.connected;
      await session.producer.send({
        topic,
        // acks=-1: the leader answers once every in-sync replica has the batch (style: acks=all).
        acks: -1,
        timeout: this.#options.requestTimeoutMs,
        compression: this.#options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.publishTimeoutMs);
    });
    try {
      const result = await Promise.race([send.then(() => 'sent' as const), deadline]);
      if (result === 'sent') return { delivered: messages.length };
      this.#retire(session);
      throw new BusUnavailableError(
        `Kafka: no acknowledgement for ${messages.length} message(s) on ${topic} within ${this.#options.publishTimeoutMs} ms`,
        this.#options.retryAfterSeconds,
      );
    } catch (error) {
      if (error instanceof BusUnavailableError) throw error;
      this.#retire(session);
      if (isDataError(error)) throw error;
      throw new BusUnavailableError(
        `Kafka: publishing to ${topic} failed: ${errorMessage(error)}`,
        this.#options.retryAfterSeconds,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      // The send may outlive the deadline; it settles in the background and releases the session.
      send
        .catch(() => {})
        .finally(() => {
          session.inFlight--;
          this.#disconnectIfDone(session);
        });
    }
  }

  /**
   * Connects the producer now (otherwise the first publish does), idempotent producer id included:
   * a collector reports ready only once it could acknowledge a request.
   */
  async connectProducer(): Promise<void> {
    this.#assertOpen();
    try {
      await this.#producerSession().connected;
    } catch (error) {
      throw new BusUnavailableError(
        `Kafka: producer cannot connect: ${errorMessage(error)}`,
        this.#options.retryAfterSeconds,
        { cause: error },
      );
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.#assertOpen();
    const subscription = new KafkaSubscription(this.#kafka, this.#options, options, () =>
      this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.#subscriptions.delete(subscription);
      await subscription.stop().catch(() => {});
      throw new BusUnavailableError(
        `Kafka: subscribing ${options.groupId} to ${options.topic} failed: ${errorMessage(error)}`,
        this.#options.retryAfterSeconds,
        { cause: error },
      );
    }
    return subscription;
  }

  /** Stops the consumers (each finishes its batch in flight), then closes producer and admin. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.stop()));
    const sessions = [...this.#retiring, ...(this.#session ? [this.#session] : [])];
    this.#session = undefined;
    await Promise.allSettled(sessions.map((s) => s.producer.disconnect()));
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin) await admin.then((a) => a.disconnect()).catch(() => {});
  }

  #producerSession(): ProducerSession {
    if (this.#session && !this.#session.retired) return this.#session;
    const producer = this.#kafka.producer({
      idempotent: true,
      // kafkajs tracks one sequence window per partition: idempotence is only correct with one
      // request in flight per connection.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2 on the key, as the Java client: a key lands on the same partition whichever client wrote it.
      createPartitioner: Partitioners.DefaultPartitioner,
      // Bounded, unlike kafkajs's idempotent default (retry forever): a send abandoned at the publish
      // deadline must end eventually. A failed session is retired (see ProducerSession).
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    });
    const session: ProducerSession = { producer, connected: producer.connect(), inFlight: 0, retired: false };
    session.connected.catch((error: unknown) => {
      this.#log.warn({ err: errorMessage(error) }, 'kafka producer could not connect');
      this.#retire(session);
    });
    this.#session = session;
    return session;
  }

  #retire(session: ProducerSession): void {
    if (session.retired) return;
    session.retired = true;
    if (this.#session === session) this.#session = undefined;
    this.#retiring.add(session);
    this.#disconnectIfDone(session);
  }

  #disconnectIfDone(session: ProducerSession): void {
    if (!session.retired || session.inFlight > 0 || !this.#retiring.delete(session)) return;
    session.producer.disconnect().catch(() => {});
  }

  #adminClient(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      const connecting = admin.connect().then(() => admin);
      connecting.catch(() => {
        if (this.#admin === connecting) this.#admin = undefined;
      });
      this.#admin = connecting;
    }
    return this.#admin.catch((error: unknown) => {
      throw new BusUnavailableError(
        `Kafka: admin client cannot connect: ${errorMessage(error)}`,
        this.#options.retryAfterSeconds,
        { cause: error },
      );
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('KafkaBus is closed');
  }

  #forwardClientLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _t, logger: _l, ...fields } = log;
    // We limit idempotent-producer retries on purpose and retire the producer after a failure.
    if (message.startsWith('Limiting retries for the idempotent producer')) return;
    // kafkajs never logs SASL credentials, but drop anything shaped like one anyway.
    for (const key of Object.keys(fields)) if (/pass|secret|sasl/i.test(key)) fields[key] = '[redacted]';
    const obj = { kafkajs: namespace, ...fields };
    // kafkajs logs every failed response at error level, retried or not; the caller sees the final
    // outcome (a rejection, BusUnavailableError), so per-request failures are warnings here.
    if (level === logLevel.ERROR && namespace !== 'Connection') this.#log.error(obj, message);
    else if (level === logLevel.ERROR) this.#log.warn(obj, message);
    else if (level === logLevel.WARN) this.#log.warn(obj, message);
    else if (level === logLevel.INFO) this.#log.info(obj, message);
    else this.#log.debug(obj, message);
  }
}

function isAllAlreadyExists(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] } | undefined)?.errors;
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every((e) => kafkaErrorType(e) === 'TOPIC_ALREADY_EXISTS')
  );
}
