/**
 * One consumer group member of the Kafka adapter. Offsets are resolved and committed only for the
 * contiguous prefix of a partition that the handler acknowledged; a rejected batch is never committed,
 * its partition pauses with backoff and the batch is fetched again from its first offset.
 */
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import {
  type BusLogger,
  errorMessage,
  type ResolvedKafkaBusOptions,
  redeliveryDelayMs,
} from './kafka.config.js';
import type { IncomingMessage, SubscribeOptions, Subscription } from './port.js';

export class KafkaSubscription implements Subscription {
  readonly #consumer: Consumer;
  readonly #subscribe: SubscribeOptions;
  readonly #maxBatchSize: number;
  readonly #backoff: { initial: number; max: number };
  readonly #log: BusLogger;
  readonly #onStopped: () => void;
  readonly #concurrency: number;
  #joined = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  /** Consecutive handler rejections per partition, for the redelivery backoff. */
  #failures = new Map<number, number>();
  #resumeTimers = new Set<NodeJS.Timeout>();

  constructor(
    kafka: Kafka,
    options: ResolvedKafkaBusOptions,
    subscribe: SubscribeOptions,
    onStopped: () => void,
  ) {
    this.#subscribe = subscribe;
    this.#maxBatchSize = subscribe.maxBatchSize ?? options.maxBatchSize;
    if (!Number.isInteger(this.#maxBatchSize) || this.#maxBatchSize < 1) {
      throw new Error(`subscribe: maxBatchSize must be a positive integer, got ${this.#maxBatchSize}`);
    }
    this.#backoff = options.redeliveryBackoffMs;
    this.#log = options.logger;
    this.#onStopped = onStopped;
    this.#concurrency = options.partitionsConsumedConcurrently;
    this.#consumer = kafka.consumer({
      groupId: subscribe.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxWaitTimeInMs: options.fetchMaxWaitMs,
      maxBytesPerPartition: options.fetchMaxBytesPerPartition,
      // kafkajs's default total (10 MiB) would cap a fetch of several partitions below that.
      maxBytes: Math.max(10 * 1024 * 1024, 2 * options.fetchMaxBytesPerPartition),
      allowAutoTopicCreation: false,
    });
    const { GROUP_JOIN, CRASH, DISCONNECT, STOP } = this.#consumer.events;
    this.#consumer.on(GROUP_JOIN, (e) => {
      this.#joined = true;
      this.#log.info(
        { groupId: subscribe.groupId, topic: subscribe.topic, assignment: e.payload.memberAssignment },
        'kafka consumer joined its group',
      );
    });
    this.#consumer.on(CRASH, (e) => {
      this.#joined = false;
      this.#log.error(
        { groupId: subscribe.groupId, err: errorMessage(e.payload.error), restart: e.payload.restart },
        'kafka consumer crashed',
      );
    });
    this.#consumer.on(DISCONNECT, () => {
      this.#joined = false;
    });
    this.#consumer.on(STOP, () => {
      this.#joined = false;
    });
  }

  async start(): Promise<void> {
    await this.#consumer.connect();
    // A group with no committed offset starts at the beginning: messages published before the group
    // first joined are still to be processed, never skipped.
    await this.#consumer.subscribe({ topics: [this.#subscribe.topic], fromBeginning: true });
    await this.#consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Each call of #eachBatch owns one partition; failures, pauses and commits are per partition.
      partitionsConsumedConcurrently: this.#concurrency,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  isReady(): boolean {
    return this.#joined && !this.#stopping;
  }

  stop(): Promise<void> {
    this.#stopping = true;
    this.#stopped ??= (async () => {
      for (const t of this.#resumeTimers) clearTimeout(t);
      this.#resumeTimers.clear();
      try {
        // kafkajs waits for the eachBatch in flight (which stops between handler calls once
        // isRunning() is false), leaves the group, then closes the connections.
        await this.#consumer.disconnect();
      } finally {
        this.#joined = false;
        this.#onStopped();
      }
    })();
    return this.#stopped;
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause } = payload;
    const { topic, partition } = batch;
    const context = { heartbeat: () => heartbeat(), isStopping: () => this.#stopping || !isRunning() };
    for (let start = 0; start < batch.messages.length; start += this.#maxBatchSize) {
      // After a seek or a rebalance the rest of this fetch is stale: what was not handled is
      // uncommitted and will be fetched again by whoever owns the partition.
      if (this.#stopping || !isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + this.#maxBatchSize);
      const first = chunk[0] as KafkaMessage;
      const last = chunk[chunk.length - 1] as KafkaMessage;
      try {
        await this.#subscribe.handler(
          { topic, partition, messages: chunk.map((m) => toIncoming(topic, partition, m)) },
          context,
        );
      } catch (error) {
        this.#redeliverLater(payload, first.offset, error, pause);
        return;
      }
      this.#failures.delete(partition);
      resolveOffset(last.offset);
      // Kafka commits the offset of the next message to read. Committing through the batch payload
      // (not consumer.commitOffsets) still commits while stop() waits for this batch. A commit error
      // propagates so that kafkajs rejoins the group; the handled messages are then redelivered to
      // the partition's next owner, which the idempotency key absorbs.
      await commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
      });
      await heartbeat();
    }
  }

  #redeliverLater(
    payload: EachBatchPayload,
    firstOffset: string,
    error: unknown,
    pause: () => () => void,
  ): void {
    const { topic, partition } = payload.batch;
    const attempt = (this.#failures.get(partition) ?? 0) + 1;
    this.#failures.set(partition, attempt);
    const delayMs = redeliveryDelayMs(attempt, this.#backoff);
    this.#log.warn(
      {
        topic,
        partition,
        offset: firstOffset,
        attempt,
        delayMs,
        groupId: this.#subscribe.groupId,
        err: errorMessage(error),
      },
      'batch handler failed; nothing acknowledged, redelivering from the same offset after backoff',
    );
    if (this.#stopping) return; // Not committed: the partition's next owner starts at firstOffset.
    const resume = pause();
    // Rewind explicitly: kafkajs may hold later fetches of this partition, which the seek discards.
    this.#consumer.seek({ topic, partition, offset: firstOffset });
    const timer = setTimeout(() => {
      this.#resumeTimers.delete(timer);
      if (!this.#stopping) resume();
    }, delayMs);
    this.#resumeTimers.add(timer);
  }
}

function toIncoming(topic: string, partition: number, m: KafkaMessage): IncomingMessage {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value ?? Buffer.alloc(0),
    headers: headersToStrings(m.headers),
  };
}

/** Kafka headers are bytes and may repeat; the port carries strings, the last value of a key wins. */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}
