import { createServer } from 'node:net';
import kafkajs, { type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kafkaBrokers, uniqueName } from '../../../test/setup/kafka.js';
import { KafkaBus, type KafkaBusOptions } from './kafka.adapter.js';
import { type BatchHandler, BusUnavailableError, type IncomingMessage, type Subscription } from './port.js';

const OK = { stored: 0, duplicates: 0, rejected: 0 };

interface LogLine {
  level: string;
  msg: string | undefined;
  obj: object;
}

function capturingLogger(lines: LogLine[]) {
  const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, msg, obj });
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: () => {} };
}

let brokers: string[];
let admin: Admin;
const topics: string[] = [];
const buses: KafkaBus[] = [];

function newBus(options: Partial<KafkaBusOptions> = {}, logs: LogLine[] = []): KafkaBus {
  const bus = new KafkaBus({
    brokers,
    logger: capturingLogger(logs),
    redeliveryBackoffMs: { initial: 50, max: 400 },
    ...options,
  });
  buses.push(bus);
  return bus;
}

async function newTopic(bus: KafkaBus, partitions: number): Promise<string> {
  const name = uniqueName('test.bus');
  topics.push(name);
  await bus.ensureTopics([{ name, partitions }]);
  return name;
}

function msg(key: string, value: string, headers?: Record<string, string>) {
  return { key, value: Buffer.from(value), ...(headers ? { headers } : {}) };
}

const values = (ms: IncomingMessage[]) => ms.map((m) => m.value.toString());

async function committedOffset(groupId: string, topic: string, partition = 0): Promise<string | undefined> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry?.partitions.find((p) => p.partition === partition)?.offset;
}

beforeAll(async () => {
  brokers = kafkaBrokers();
  admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

describe('KafkaBus against a real broker', () => {
  it('creates topics idempotently and grows partitions to the declared count', async () => {
    const bus = newBus();
    const name = uniqueName('test.ensure');
    topics.push(name);
    await bus.ensureTopics([{ name, partitions: 2, config: { 'retention.ms': '3600000' } }]);
    await bus.ensureTopics([{ name, partitions: 2 }]);
    await bus.ensureTopics([{ name, partitions: 3 }]);
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: [name] });
    expect(meta[0]?.partitions).toHaveLength(3);
  });

  it('round-trips keys, values and headers, keeping per-key order', async () => {
    const bus = newBus();
    const topic = await newTopic(bus, 3);
    const sent = Array.from({ length: 30 }, (_, i) =>
      msg(`team-${i % 5}`, `v${i}`, { source: 'test', n: String(i) }),
    );
    const receipt = await bus.publish(topic, sent);
    expect(receipt).toEqual({ delivered: 30 });

    const got: IncomingMessage[] = [];
    const sub = await bus.subscribe({
      topic,
      groupId: uniqueName('g.roundtrip'),
      maxBatchSize: 7,
      handler: async (batch) => {
        expect(batch.messages.length).toBeLessThanOrEqual(7);
        got.push(...batch.messages);
        return OK;
      },
    });
    await eventually('the consumer to join', () => (sub.isReady() ? true : undefined));
    await eventually('30 messages', () => (got.length >= 30 ? got : undefined));
    expect(got).toHaveLength(30);
    for (const m of got) {
      const n = Number(m.headers.n);
      expect(m.topic).toBe(topic);
      expect(m.key).toBe(`team-${n % 5}`);
      expect(m.value.toString()).toBe(`v${n}`);
      expect(m.headers).toEqual({ source: 'test', n: String(n) });
      expect(m.offset).toMatch(/^\d+$/);
    }
    for (let k = 0; k < 5; k++) {
      const ofKey = got.filter((m) => m.key === `team-${k}`).map((m) => Number(m.headers.n));
      expect(ofKey).toEqual([...ofKey].sort((a, b) => a - b));
      expect(new Set(got.filter((m) => m.key === `team-${k}`).map((m) => m.partition)).size).toBe(1);
    }
    await sub.stop();
    expect(sub.isReady()).toBe(false);
  });

  it('commits only what the handler acknowledged: a rejoining member gets the unacknowledged rest', async () => {
    const bus = newBus();
    const topic = await newTopic(bus, 1);
    const groupId = uniqueName('g.rejoin');
    await bus.publish(
      topic,
      Array.from({ length: 10 }, (_, i) => msg('k', String(i))),
    );

    const first: string[][] = [];
    let releaseInFlight: (() => void) | undefined;
    const sub1 = await bus.subscribe({
      topic,
      groupId,
      maxBatchSize: 3,
      handler: async (batch) => {
        first.push(values(batch.messages));
        if (first.length < 3) return OK;
        // The third batch is "in flight when the process dies": it never resolves successfully.
        await new Promise<void>((resolve) => {
          releaseInFlight = resolve;
        });
        throw new Error('process died before the sink stored the batch');
      },
    });
    await eventually('the third batch to be in flight', () => releaseInFlight);
    const stopping = sub1.stop();
    releaseInFlight?.();
    await stopping;
    expect(first).toEqual([
      ['0', '1', '2'],
      ['3', '4', '5'],
      ['6', '7', '8'],
    ]);
    expect(await committedOffset(groupId, topic)).toBe('6');

    const second: IncomingMessage[] = [];
    const sub2 = await bus.subscribe({
      topic,
      groupId,
      handler: async (batch) => {
        second.push(...batch.messages);
        return OK;
      },
    });
    await eventually('the rest of the partition', () => (second.length >= 4 ? second : undefined));
    expect(values(second)).toEqual(['6', '7', '8', '9']);
    expect(second[0]?.offset).toBe('6');
    await eventually('the commit of offset 10', async () =>
      (await committedOffset(groupId, topic)) === '10' ? true : undefined,
    );
    await sub2.stop();
  });

  it('stop() lets the batch in flight finish and commits it', async () => {
    const bus = newBus();
    const topic = await newTopic(bus, 1);
    const groupId = uniqueName('g.stop');
    await bus.publish(
      topic,
      Array.from({ length: 4 }, (_, i) => msg('k', String(i))),
    );
    let release: (() => void) | undefined;
    const seen: string[] = [];
    const sub = await bus.subscribe({
      topic,
      groupId,
      maxBatchSize: 2,
      handler: async (batch, context) => {
        seen.push(...values(batch.messages));
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        expect(context.isStopping()).toBe(true);
        return OK;
      },
    });
    await eventually('a batch in flight', () => release);
    const stopping = sub.stop();
    expect(sub.isReady()).toBe(false);
    release?.();
    await stopping;
    // The first batch finished and was committed; the second was never handed out.
    expect(seen).toEqual(['0', '1']);
    expect(await committedOffset(groupId, topic)).toBe('2');
  });

  it('redelivers a rejected batch from its first offset after backoff, skipping nothing', async () => {
    const logs: LogLine[] = [];
    const bus = newBus({}, logs);
    const topic = await newTopic(bus, 1);
    const groupId = uniqueName('g.retry');
    await bus.publish(
      topic,
      Array.from({ length: 6 }, (_, i) => msg('k', String(i))),
    );
    const deliveries: { values: string[]; firstOffset: string | undefined; ok: boolean }[] = [];
    let failuresLeft = 2;
    const handler: BatchHandler = async (batch) => {
      const v = values(batch.messages);
      const fail = v.includes('2') && failuresLeft-- > 0;
      deliveries.push({ values: v, firstOffset: batch.messages[0]?.offset, ok: !fail });
      if (fail) throw new Error('sink unavailable');
      return OK;
    };
    const sub = await bus.subscribe({ topic, groupId, maxBatchSize: 2, handler });
    await eventually('everything acknowledged', () =>
      deliveries.filter((d) => d.ok).flatMap((d) => d.values).length >= 6 ? true : undefined,
    );
    expect(deliveries).toEqual([
      { values: ['0', '1'], firstOffset: '0', ok: true },
      { values: ['2', '3'], firstOffset: '2', ok: false },
      { values: ['2', '3'], firstOffset: '2', ok: false },
      { values: ['2', '3'], firstOffset: '2', ok: true },
      { values: ['4', '5'], firstOffset: '4', ok: true },
    ]);
    await eventually('the commit of offset 6', async () =>
      (await committedOffset(groupId, topic)) === '6' ? true : undefined,
    );
    const warnings = logs.filter((l) => l.level === 'warn' && l.msg?.startsWith('batch handler failed'));
    expect(warnings.map((w) => (w.obj as { attempt: number }).attempt)).toEqual([1, 2]);
    await sub.stop();
  });

  it('shares the partitions of a topic between two members of one group', async () => {
    const bus = newBus();
    const topic = await newTopic(bus, 4);
    const groupId = uniqueName('g.share');
    const got = new Map<string, IncomingMessage[]>([
      ['a', []],
      ['b', []],
    ]);
    const member = (name: string): Promise<Subscription> =>
      bus.subscribe({
        topic,
        groupId,
        handler: async (batch) => {
          got.get(name)?.push(...batch.messages);
          return OK;
        },
      });
    const a = await member('a');
    await eventually('member a to join', () => (a.isReady() ? true : undefined));
    const b = await member('b');
    // b's join completes only once a has rejoined the same generation: the assignment is split.
    await eventually('member b to join', () => (b.isReady() ? true : undefined));
    await bus.publish(
      topic,
      Array.from({ length: 40 }, (_, i) => msg(`team-${i}`, String(i))),
    );
    const all = () => [...(got.get('a') ?? []), ...(got.get('b') ?? [])];
    await eventually('40 messages across both members', () => (all().length >= 40 ? true : undefined));
    const partitionsOf = (name: string) => new Set((got.get(name) ?? []).map((m) => m.partition));
    expect(partitionsOf('a').size).toBeGreaterThan(0);
    expect(partitionsOf('b').size).toBeGreaterThan(0);
    expect([...partitionsOf('a')].filter((p) => partitionsOf('b').has(p))).toEqual([]);
    expect(
      values(all())
        .map(Number)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await Promise.all([a.stop(), b.stop()]);
  });

  it('rejects a publish with BusUnavailableError within the deadline when no broker listens', async () => {
    const port = await freePort();
    const bus = newBus({ brokers: [`127.0.0.1:${port}`], publishTimeoutMs: 1_500, retryAfterSeconds: 7 });
    const started = Date.now();
    const error = await bus.publish('shewhart.nowhere', [msg('k', 'v')]).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(BusUnavailableError);
    expect((error as BusUnavailableError).retryAfterSeconds).toBe(7);
    // Bounded: the deadline plus scheduling slack, never kafkajs's unbounded idempotent retries.
    expect(elapsed).toBeLessThan(1_500 + 1_000);
    // And again: a retired producer session is replaced, the next call is bounded too.
    await expect(bus.publish('shewhart.nowhere', [msg('k', 'v')])).rejects.toBeInstanceOf(
      BusUnavailableError,
    );
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
