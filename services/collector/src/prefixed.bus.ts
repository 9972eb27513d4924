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
