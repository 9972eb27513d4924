import kafkajs, { type Admin } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';

export interface ConsumerLagOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topic: string;
  log: { warn(obj: object, msg?: string): void };
}

/**
 * `shewhart_worker_consumer_lag{group,topic,partition}`: messages not yet committed by the consumer group
 * (`group`, its id: KAFKA_GROUP_ID), per partition of the topic (group-wide, so every worker of the group
 * reports the same figures; two deployments scraped by one Prometheus stay apart by group). Computed at
 * scrape time from two admin requests (end offsets, committed offsets): cheap, and never stale.
 * `shewhart_worker_group_members{group,state}` says how many workers share the partitions.
 */
export function registerConsumerLag(
  registry: Registry,
  options: ConsumerLagOptions,
): { close(): Promise<void> } {
  const kafka = new kafkajs.Kafka({
    clientId: `${options.clientId}-lag`,
    brokers: options.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 3_000,
    retry: { retries: 1, initialRetryTime: 100 },
  });
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const connected = () => {
    connecting ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      admin = a;
      return a;
    })().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
  new Gauge({
    name: 'shewhart_worker_consumer_lag',
    help: 'Messages of the topic not yet committed by the consumer group, per group and partition',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      const { topic, groupId } = options;
      try {
        const a = await connected();
        const [ends, [committed]] = await Promise.all([
          a.fetchTopicOffsets(topic),
          a.fetchOffsets({ groupId, topics: [topic] }),
        ]);
        this.reset();
        for (const end of ends) {
          const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset;
          // No committed offset yet: the group starts at the beginning (fromBeginning), so all of it is lag.
          const from = c === undefined || c === '-1' ? BigInt(end.low) : BigInt(c);
          this.set(
            { group: groupId, topic, partition: String(end.partition) },
            Number(BigInt(end.high) - from),
          );
        }
      } catch (error) {
        this.reset(); // unknown, not zero
        options.log.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'consumer lag unavailable',
        );
      }
    },
  });
  new Gauge({
    name: 'shewhart_worker_group_members',
    help: 'Members of the consumer group as the coordinator reports them, labelled with the group state',
    labelNames: ['group', 'state'] as const,
    registers: [registry],
    async collect() {
      try {
        const a = await connected();
        const { groups } = await a.describeGroups([options.groupId]);
        this.reset();
        for (const g of groups) this.set({ group: g.groupId, state: g.state }, g.members.length);
      } catch {
        this.reset();
      }
    },
  });
  return {
    close: async () => {
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
