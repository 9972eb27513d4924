/**
 * Crash consistency of the scaled worker (issue 11): mixed events (defects, deployments, incidents,
 * releases, reviews, CAPAs, surveys, complaints) published to Kafka while the worker is SIGKILLed 20 times
 * at random points of its stream (decode, duplicate check, insert, derive, offset commit; every other kill
 * the moment a table of its insert path gets a part) and restarted on the same embedded store. Afterwards every event is stored exactly once in every per-event table a KPI
 * reads, FINAL or not, and every KPI of the catalogue equals the KPI of the same events ingested calmly
 * (the checker of the embedded crash test, test/support/crash-check.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '@shewhart/cli/demo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, TOPICS, topicCatalogue } from '../packages/bus/src/index.js';
import { eventually, kafkaBrokers, uniqueName } from './setup/kafka.js';
import { calmKpis, kpiDifferences, kpiSnapshot, storageProblems } from './support/crash-check.js';
import { watchParts } from './support/parts.js';
import { groupLag, handledBy, killAll, type ServiceProcess, startService } from './support/processes.js';
import { prng, shuffled } from './support/random.js';
import { killServers, startServer } from './support/server.js';

const KILLS = 20;
const ROUNDS = KILLS + 1;
const BATCH = 250;
const PART_TABLES = ['events_raw', 'event_keys', 'defect_events', 'delivery_events', 'quality_events'];
/** The demo history ends here; KPIs are evaluated as of then, so both runs agree on "now". */
const END = new Date('2026-01-05T00:00:00Z');

let brokers: string;
let prefix: string;
let bus: KafkaBus;
let dataDir: string;

beforeAll(async () => {
  brokers = kafkaBrokers().join(',');
  prefix = `${uniqueName('t.crash')}.`;
  dataDir = mkdtempSync(join(tmpdir(), 'shewhart-crash-'));
  bus = new KafkaBus({
    brokers: brokers.split(','),
    logger: { ...console, debug: () => {}, info: () => {} },
  });
  await bus.ensureTopics(topicCatalogue(6).map((t) => ({ ...t, name: `${prefix}${t.name}` })));
});

afterAll(async () => {
  await killAll();
  await killServers();
  await bus
    ?.deleteTopics([`${prefix}${TOPICS.events}`, `${prefix}${TOPICS.deadLetters}`])
    .catch(() => undefined);
  await bus?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('worker crash consistency', () => {
  it('stores every event exactly once in every KPI table, and every KPI exact, through 20 SIGKILLs', async () => {
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: a replay knob of this test; vitest runs outside turbo.
    const seed = Number(process.env.SHEWHART_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const events = shuffled([...generateDemo({ weeks: 30, teams: 6, seed: 12, end: END })], random);
    expect(events.length).toBeGreaterThan(ROUNDS * BATCH);
    const batches = Array.from({ length: Math.ceil(events.length / BATCH) }, (_, i) =>
      events.slice(i * BATCH, (i + 1) * BATCH),
    );
    // Round r publishes batches r, r + ROUNDS, …: every round has a share.
    const shareOf = (round: number) => batches.filter((_, i) => i % ROUNDS === round);
    const env = {
      KAFKA_BROKERS: brokers,
      SHEWHART_TOPIC_PREFIX: prefix,
      KAFKA_GROUP_ID: uniqueName('crash-workers'),
      SHEWHART_DATA_DIR: dataDir,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      // Small batches: more store → commit windows for a kill to land in.
      KAFKA_MAX_BATCH_SIZE: '250',
    };
    let published = 0;
    const publishRound = async (round: number) => {
      for (const batch of shareOf(round)) {
        await bus.publish(
          `${prefix}${TOPICS.events}`,
          batch.map((e) => ({ key: e.team, value: Buffer.from(JSON.stringify(e)) })),
        );
        published += batch.length;
      }
    };
    const kills: string[] = [];
    let worker: ServiceProcess | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      // Each round publishes its share while a fresh worker process starts on the same directory.
      const publishing = publishRound(round);
      worker = await startService('worker', env);
      if (round === ROUNDS - 1) {
        await publishing;
        break;
      }
      // Kill once this worker has handled a random number of messages (reachable from this round's
      // share alone), plus a random moment; or (every other round) the moment one of the tables its
      // flush writes gets a part: a SIGKILL lands between any two steps of a batch.
      const current = worker;
      if (round % 2 === 1) {
        const table = PART_TABLES[Math.floor(random() * PART_TABLES.length)] as string;
        const parts = watchParts(dataDir, table);
        const hit = await parts.next(30_000);
        parts.close();
        kills.push(`${hit ? 'part' : 'no part'} of ${table}`);
      } else {
        const share = shareOf(round).reduce((n, b) => n + b.length, 0);
        const threshold = 1 + Math.floor(random() * (share - 1));
        await eventually(
          `worker ${round} handling ${threshold} messages`,
          async () => ((await handledBy(current)) >= threshold ? true : undefined),
          60_000,
          20,
        );
        const delay = Math.floor(random() * 150);
        await new Promise((r) => setTimeout(r, delay));
        kills.push(`≥${threshold}+${delay}ms`);
      }
      await current.kill();
      await publishing;
    }
    expect(published).toBe(events.length);
    const last = worker as ServiceProcess;
    await eventually(
      'the group committed everything',
      async () => ((await groupLag(last)) === 0 ? true : undefined),
      120_000,
      250,
    );
    expect(await last.stop()).toBe(0);
    console.info(
      `kafka crash test: seed ${seed}, ${events.length} events, ${kills.length} kills (${kills.join(' ')})`,
    );
    expect(kills).toHaveLength(KILLS);
    expect(await storageProblems(dataDir, events)).toEqual([]);

    // The KPIs of the worker's store, served by an embedded server on its directory, against a calm ingest.
    const asOf = END.toISOString();
    const server = await startServer(dataDir);
    const crashed = await kpiSnapshot(server.url, asOf);
    expect(await server.stop()).toBe(0);
    const calm = await calmKpis(batches, asOf);
    expect(Object.keys(calm).length).toBeGreaterThan(20);
    expect(kpiDifferences(crashed, calm)).toEqual([]);
  }, 600_000);
});
