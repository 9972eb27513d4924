/**
 * The scaled deployment end to end against the real broker: the collector and workers run as child
 * processes (services/*\/src/main.ts), each worker on its own embedded store, read back after a
 * graceful stop (chdb allows one process per directory).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IncomingMessage, KafkaBus, TOPICS } from '../packages/bus/src/index.js';
import { DEAD_LETTER_HEADERS } from '../packages/ingest/src/dead-letter.js';
import { eventually, kafkaBrokers, uniqueName } from './setup/kafka.js';
import {
  handledBy,
  isReady,
  killAll,
  postEvents,
  queryStore,
  type ServiceProcess,
  scrape,
  startService,
  surveyEvent,
} from './support/processes.js';

let brokers: string;
let prefix: string;
let groupId: string;
let bus: KafkaBus;
let collector: ServiceProcess;
const dirs: string[] = [];

const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'shewhart-worker-'));
  dirs.push(dir);
  return dir;
};
const kafkaEnv = () => ({
  KAFKA_BROKERS: brokers,
  SHEWHART_TOPIC_PREFIX: prefix,
  KAFKA_GROUP_ID: groupId,
  // The broker's minimum: a member that leaves without a word is replaced after 6 s, not 30.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
});
async function startWorker(dataDir: string): Promise<ServiceProcess> {
  const worker = await startService('worker', { ...kafkaEnv(), SHEWHART_DATA_DIR: dataDir });
  await eventually('worker ready', async () => ((await isReady(worker)) ? true : undefined), 30_000, 100);
  return worker;
}
const stored = (dataDir: string, source: string) =>
  queryStore<{ final: string; uniq: string; raw: string }>(
    dataDir,
    `SELECT (SELECT count() FROM events_raw FINAL WHERE source = '${source}') AS final,
            (SELECT uniqExact(source, id) FROM events_raw WHERE source = '${source}') AS uniq,
            (SELECT count() FROM events_raw WHERE source = '${source}') AS raw`,
  ).then(([rows]) => {
    const r = rows?.[0] ?? { final: '0', uniq: '0', raw: '0' };
    return { final: Number(r.final), uniq: Number(r.uniq), raw: Number(r.raw) };
  });

beforeAll(async () => {
  brokers = kafkaBrokers().join(',');
  prefix = `${uniqueName('t.scaled')}.`;
  groupId = uniqueName('workers');
  bus = new KafkaBus({
    brokers: brokers.split(','),
    logger: { ...console, debug: () => {}, info: () => {} },
  });
  collector = await startService('collector', kafkaEnv());
  await eventually(
    'collector ready',
    async () => ((await isReady(collector)) ? true : undefined),
    30_000,
    100,
  );
});

afterAll(async () => {
  await killAll();
  await bus
    ?.deleteTopics([`${prefix}${TOPICS.events}`, `${prefix}${TOPICS.deadLetters}`])
    .catch(() => undefined);
  await bus?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('scaled deployment: collector → Kafka → worker → ClickHouse', () => {
  it('refuses to start without KAFKA_BROKERS and points to the embedded mode', async () => {
    await expect(startService('collector', {})).rejects.toThrow(/exited with 2[\s\S]*pnpm shewhart start/);
  });

  it('without a reachable broker: not ready, and 503 with Retry-After within the publish timeout', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as AddressInfo;
        probe.close(() => resolve(p));
      });
    });
    const lonely = await startService('collector', {
      ...kafkaEnv(),
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      KAFKA_PUBLISH_TIMEOUT_MS: '1500',
    });
    expect((await fetch(`${lonely.url}/healthz`)).status).toBe(200);
    expect(await isReady(lonely)).toBe(false);
    const started = Date.now();
    const res = await postEvents(lonely, [surveyEvent('test/lonely', 'x-1')]);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('2');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await isReady(lonely)).toBe(false);
    expect(await lonely.stop()).toBe(0);
  });

  it('stores what the collector acknowledged, duplicates once', async () => {
    const dir = newDir();
    const worker = await startWorker(dir);
    const source = 'test/e2e';
    const first = Array.from({ length: 100 }, (_, i) => surveyEvent(source, `e-${i}`, `team-${i % 7}`));
    const again = [
      ...first.slice(0, 30),
      ...Array.from({ length: 20 }, (_, i) => surveyEvent(source, `e-${100 + i}`)),
    ];
    const twiceInOne = [surveyEvent(source, 'e-120'), surveyEvent(source, 'e-120')];
    for (const batch of [first, again, twiceInOne]) {
      const res = await postEvents(collector, batch);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: batch.length, duplicates: 0 });
    }
    const messages = first.length + again.length + twiceInOne.length;
    await eventually('worker handled every message', async () =>
      (await handledBy(worker)) >= messages ? true : undefined,
    );
    const metrics = await scrape(worker.url);
    expect(metrics.get('shewhart_worker_events_total{outcome="stored"}')).toBe(121);
    expect(metrics.get('shewhart_worker_events_total{outcome="duplicate"}')).toBe(31);
    expect(await worker.stop()).toBe(0);
    expect(await stored(dir, source)).toEqual({ final: 121, uniq: 121, raw: 121 });
  });

  it('publishes a request larger than a Kafka record batch in chunks, and refuses an event that fits none', async () => {
    const dir = newDir();
    const worker = await startWorker(dir);
    const source = 'test/large';
    // One team → one partition: 6,000 events of ~250 bytes are more than the broker's 1 MiB per batch.
    const large = Array.from({ length: 6_000 }, (_, i) => surveyEvent(source, `l-${i}`, 'one-team'));
    const res = await postEvents(collector, large);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 6_000, duplicates: 0 });
    const huge = {
      ...surveyEvent(source, 'huge'),
      data: { scale: 'nps_0_10', score: 3, note: 'x'.repeat(1_100_000) },
    };
    expect((await postEvents(collector, [huge])).status).toBe(413);
    await eventually('worker handled the large request', async () =>
      (await handledBy(worker)) >= large.length ? true : undefined,
    );
    expect(await worker.stop()).toBe(0);
    expect(await stored(dir, source)).toEqual({ final: 6_000, uniq: 6_000, raw: 6_000 });
  });

  it('dead-letters poison messages with their reasons and moves on with the partition', async () => {
    const dir = newDir();
    const worker = await startWorker(dir);
    const deadLetters: IncomingMessage[] = [];
    const dlq = await bus.subscribe({
      topic: `${prefix}${TOPICS.deadLetters}`,
      groupId: uniqueName('dlq-reader'),
      handler: async (batch) => {
        deadLetters.push(...batch.messages);
        return { stored: 0, duplicates: 0, rejected: 0 };
      },
    });
    const source = 'test/poison';
    const good = (i: number) => ({
      key: 'poison',
      value: Buffer.from(JSON.stringify(surveyEvent(source, `g-${i}`))),
    });
    const notJson = { key: 'poison', value: Buffer.from('{"id": "broken", this is not JSON') };
    const invalid = {
      key: 'poison',
      value: Buffer.from(JSON.stringify({ ...surveyEvent(source, 'invalid'), data: { scale: 'stars' } })),
    };
    // A lone UTF-16 surrogate: ClickHouse would refuse it, so the contract refuses it first (the worker
    // re-validates every message it consumes). No contract-valid event is known that storage refuses;
    // the bisection that isolates such a message is covered by store-errors/store-gate unit tests.
    const refused = { key: 'poison', value: Buffer.from(JSON.stringify(surveyEvent(source, 'lone-\ud800'))) };
    // Other partitions' batches are handled at the same time and share the writer's flushes.
    const elsewhere = Array.from({ length: 300 }, (_, i) => {
      const e = surveyEvent(source, `o-${i}`, `team-${i % 12}`);
      return { key: e.team, value: Buffer.from(JSON.stringify(e)) };
    });
    const messages = [
      ...Array.from({ length: 10 }, (_, i) => good(i)),
      notJson,
      invalid,
      refused,
      ...Array.from({ length: 50 }, (_, i) => good(10 + i)),
      ...elsewhere,
    ];
    // One key, one partition, one publish: the poison sits in the middle of a batch.
    await bus.publish(`${prefix}${TOPICS.events}`, messages);
    const letters = await eventually(
      'three dead letters',
      () => (deadLetters.length >= 3 ? deadLetters : undefined),
      30_000,
    );
    await dlq.stop();
    expect(letters).toHaveLength(3);
    const [a, b, c] = letters as [IncomingMessage, IncomingMessage, IncomingMessage];
    const byValue = new Map(letters.map((m) => [m.value.toString('utf8'), m]));
    expect(byValue.get(notJson.value.toString())?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^not JSON/);
    expect(byValue.get(invalid.value.toString())?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/data\.scale/);
    const refusedLetter = byValue.get(refused.value.toString());
    expect(refusedLetter?.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^id: must be valid Unicode/);
    expect(refusedLetter?.headers[DEAD_LETTER_HEADERS.attempt]).toBe('1');
    for (const letter of [a, b, c]) {
      expect(letter.key).toBe('poison');
      expect(letter.headers[DEAD_LETTER_HEADERS.topic]).toBe(`${prefix}${TOPICS.events}`);
      expect(letter.headers[DEAD_LETTER_HEADERS.partition]).toMatch(/^\d+$/);
      expect(letter.headers[DEAD_LETTER_HEADERS.offset]).toMatch(/^\d+$/);
    }
    expect(new Set(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.attempt]))).toEqual(new Set(['1']));
    // Offsets 10, 11, 12 of the partition: the three poison messages, in order.
    const offsets = letters.map((l) => Number(l.headers[DEAD_LETTER_HEADERS.offset])).sort((x, y) => x - y);
    expect(offsets.map((o) => o - (offsets[0] ?? 0))).toEqual([0, 1, 2]);

    await eventually('worker handled every message', async () =>
      (await handledBy(worker)) >= messages.length ? true : undefined,
    );
    const metrics = await scrape(worker.url);
    expect(metrics.get('shewhart_worker_events_total{outcome="rejected"}')).toBe(3);
    expect(await worker.stop()).toBe(0);
    expect(await stored(dir, source)).toEqual({ final: 360, uniq: 360, raw: 360 });
  });

  it('shares the partitions between two workers, every event stored exactly once', async () => {
    const [dirA, dirB] = [newDir(), newDir()];
    const workerA = await startWorker(dirA);
    const workerB = await startWorker(dirB);
    // Publish only once the group is stable with both members: a partition that moves while a batch
    // is in flight is redelivered to its next owner, which would store it in the other directory.
    await eventually(
      'a stable group of two',
      async () => {
        const m = await scrape(workerA.url);
        return m.get(`shewhart_worker_group_members{group="${groupId}",state="Stable"}`) === 2
          ? true
          : undefined;
      },
      60_000,
      200,
    );
    const source = 'test/shared';
    const N = 3_000;
    for (let i = 0; i < N; i += 500) {
      const batch = Array.from({ length: 500 }, (_, k) =>
        surveyEvent(source, `s-${i + k}`, `team-${(i + k) % 24}`),
      );
      expect((await postEvents(collector, batch)).status).toBe(202);
    }
    await eventually(
      'both workers together handled every event',
      async () => ((await handledBy(workerA)) + (await handledBy(workerB)) >= N ? true : undefined),
      60_000,
      200,
    );
    expect(await workerA.stop()).toBe(0);
    expect(await workerB.stop()).toBe(0);
    const ids = async (dir: string) =>
      (
        (
          await queryStore<{ id: string }>(dir, `SELECT id FROM events_raw FINAL WHERE source = '${source}'`)
        )[0] ?? []
      ).map((r) => r.id);
    const [a, b] = [await ids(dirA), await ids(dirB)];
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a.length + b.length).toBe(N);
    expect(new Set([...a, ...b]).size).toBe(N);
  });
});
