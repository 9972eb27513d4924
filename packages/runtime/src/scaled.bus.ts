import type {
  Bus,
  OutgoingMessage,
  PublishReceipt,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from '@shewhart/bus';

/**
 * The bus with every topic name behind a prefix (`SHEWHART_TOPIC_PREFIX`), so that several
 * environments or test runs share one Kafka cluster without seeing each other's messages. The app
 * keeps publishing to the catalogue's names.
 */
export function prefixedBus(bus: Bus, prefix: string): Bus {
  if (prefix === '') return bus;
  const name = (topic: string) => `${prefix}${topic}`;
  return {
    kind: bus.kind,
    ensureTopics: (topics: readonly TopicSpec[]) =>
      bus.ensureTopics(topics.map((t) => ({ ...t, name: name(t.name) }))),
    publish: (topic: string, messages: OutgoingMessage[]): Promise<PublishReceipt> =>
      bus.publish(name(topic), messages),
    subscribe: (options: SubscribeOptions): Promise<Subscription> =>
      bus.subscribe({ ...options, topic: name(options.topic) }),
    close: () => bus.close(),
  };
}

/** Kafka's default `message.max.bytes` (a record batch per partition) is 1 MiB. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Half of it per publish: whatever the keys, no partition's record batch can exceed the limit. */
const CHUNK_BYTES = MAX_MESSAGE_BYTES / 2;

const size = (m: OutgoingMessage) =>
  m.value.length +
  Buffer.byteLength(m.key) +
  Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0) +
  64;

/**
 * Publishes a large request (the body limit is 16 MiB) in chunks that each fit a Kafka record batch,
 * one after the other so per-key order holds. The receipt comes after the last chunk's acknowledgement;
 * when a chunk fails, the request fails (503) although earlier chunks were taken: the client's retry
 * sends them again and the idempotency key stores them once. A single event larger than the broker
 * takes is refused with 413 before anything is sent.
 */
export function chunkedBus(bus: Bus): Bus {
  return {
    kind: bus.kind,
    ensureTopics: (topics) => bus.ensureTopics(topics),
    subscribe: (options) => bus.subscribe(options),
    close: () => bus.close(),
    publish: async (topic, messages) => {
      const chunks: OutgoingMessage[][] = [];
      let current: OutgoingMessage[] = [];
      let bytes = 0;
      for (const m of messages) {
        const s = size(m);
        if (s > MAX_MESSAGE_BYTES) {
          throw Object.assign(
            new Error(`an event of ${s} bytes exceeds the ${MAX_MESSAGE_BYTES}-byte limit`),
            {
              statusCode: 413,
            },
          );
        }
        if (bytes + s > CHUNK_BYTES && current.length > 0) {
          chunks.push(current);
          current = [];
          bytes = 0;
        }
        current.push(m);
        bytes += s;
      }
      if (current.length > 0) chunks.push(current);
      let delivered = 0;
      for (const chunk of chunks) delivered += (await bus.publish(topic, chunk)).delivered;
      return { delivered };
    },
  };
}
