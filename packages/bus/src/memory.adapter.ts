import {
  type BatchOutcome,
  type Bus,
  BusUnavailableError,
  type IncomingBatch,
  type OutgoingMessage,
  type PublishReceipt,
  type SubscribeOptions,
  type Subscription,
} from './port.js';

interface MemorySubscription {
  options: SubscribeOptions;
  stopping: boolean;
  inFlight: Set<Promise<unknown>>;
  offset: bigint;
}

/**
 * The in-process adapter of the embedded default. Publishing hands the batch straight to the topic's
 * subscriber and resolves with the subscriber's outcome once its sink stored the batch: the collector's
 * 202 therefore means "durably stored", exactly as in docs/events.md. There is no broker to buffer in, so a
 * publish without a running consumer fails (the collector answers 503) instead of being dropped.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly #subscriptions = new Map<string, MemorySubscription>();

  async ensureTopics(): Promise<void> {}

  async publish(topic: string, messages: OutgoingMessage[]): Promise<PublishReceipt> {
    const sub = this.#subscriptions.get(topic);
    if (!sub || sub.stopping) {
      throw new BusUnavailableError(`no consumer is running for ${topic}`, 1);
    }
    const max = sub.options.maxBatchSize ?? 10_000;
    const total: BatchOutcome = { stored: 0, duplicates: 0, rejected: 0 };
    // Chunks of one publish go in parallel: the sink merges concurrent writes into one flush anyway.
    const chunks: Promise<BatchOutcome>[] = [];
    for (let i = 0; i < messages.length; i += max) {
      chunks.push(this.#deliver(topic, sub, messages.slice(i, i + max)));
    }
    for (const o of await Promise.all(chunks)) {
      total.stored += o.stored;
      total.duplicates += o.duplicates;
      total.rejected += o.rejected;
    }
    return { delivered: messages.length, outcome: total };
  }

  #deliver(topic: string, sub: MemorySubscription, messages: OutgoingMessage[]): Promise<BatchOutcome> {
    const batch: IncomingBatch = {
      topic,
      partition: 0,
      messages: messages.map((m) => {
        const offset = sub.offset;
        sub.offset += 1n;
        return {
          topic,
          partition: 0,
          offset: String(offset),
          key: m.key,
          value: m.value,
          headers: m.headers ?? {},
          payload: m.payload,
        };
      }),
    };
    const run = sub.options.handler(batch, {
      heartbeat: async () => {},
      isStopping: () => sub.stopping,
    });
    sub.inFlight.add(run);
    const forget = () => sub.inFlight.delete(run);
    run.then(forget, forget);
    return run;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    if (this.#subscriptions.has(options.topic)) {
      throw new Error(`topic ${options.topic} already has a consumer in this process`);
    }
    const sub: MemorySubscription = { options, stopping: false, inFlight: new Set(), offset: 0n };
    this.#subscriptions.set(options.topic, sub);
    return {
      isReady: () => !sub.stopping,
      stop: async () => {
        sub.stopping = true;
        await Promise.allSettled([...sub.inFlight]);
        this.#subscriptions.delete(options.topic);
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions.values()].map((s) => Promise.allSettled([...s.inFlight])));
    this.#subscriptions.clear();
  }
}
