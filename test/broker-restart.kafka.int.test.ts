/**
 * A broker restart in the middle of a stream, on a broker of this file's own (KAFKA_PORT 19092, so the
 * shared test broker is not disturbed): the collector answers 503 with Retry-After while the broker is
 * away, never 202 for what it could not publish, and everything it acknowledged is stored.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from './setup/kafka.js';
import {
  groupLag,
  isReady,
  killAll,
  postEvents,
  queryStore,
  type ServiceProcess,
  startService,
  surveyEvent,
} from './support/processes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PORT = '19092';
const BROKERS = `127.0.0.1:${PORT}`;
const run = promisify(execFile);
const kafkaSh = (command: 'start' | 'stop' | 'status') =>
  run(resolve(root, 'infra/kafka/kafka.sh'), [command], {
    cwd: root,
    env: { ...process.env, KAFKA_PORT: PORT },
    timeout: 180_000,
  });

let dataDir: string;
let startedHere = false;

beforeAll(async () => {
  startedHere = await kafkaSh('status').then(
    () => false,
    () => true,
  );
  await kafkaSh('start');
  dataDir = mkdtempSync(join(tmpdir(), 'shewhart-restart-'));
});

afterAll(async () => {
  await killAll();
  if (startedHere) {
    await kafkaSh('stop').catch(() => undefined);
    rmSync(resolve(root, 'infra/kafka/run', PORT), { recursive: true, force: true });
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('broker restart mid-stream', () => {
  it('answers 503 while the broker is away and stores everything it acknowledged', async () => {
    const env = {
      KAFKA_BROKERS: BROKERS,
      SHEWHART_TOPIC_PREFIX: `${uniqueName('t.restart')}.`,
      KAFKA_GROUP_ID: uniqueName('restart-workers'),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_PUBLISH_TIMEOUT_MS: '2000',
    };
    const collector = await startService('collector', env);
    const worker: ServiceProcess = await startService('worker', { ...env, SHEWHART_DATA_DIR: dataDir });
    await eventually(
      'both ready',
      async () => ((await isReady(collector)) && (await isReady(worker)) ? true : undefined),
      30_000,
      100,
    );

    const source = 'test/restart';
    const REQUESTS = 60;
    const PER_REQUEST = 50;
    const acknowledged = new Set<string>();
    const unavailable: { latencyMs: number; retryAfter: string | null }[] = [];
    let brokerDown = false;
    let sent = 0;
    // One client posting request after request; a 503 is retried (a client's duty: nothing was stored).
    const client = (async () => {
      for (let r = 0; r < REQUESTS; r++) {
        const batch = Array.from({ length: PER_REQUEST }, (_, k) =>
          surveyEvent(source, `r-${r}-${k}`, `team-${k % 9}`),
        );
        for (;;) {
          const started = Date.now();
          const res = await postEvents(collector, batch);
          if (res.status === 202) {
            for (const e of batch) acknowledged.add(e.id);
            break;
          }
          expect(res.status).toBe(503);
          unavailable.push({ latencyMs: Date.now() - started, retryAfter: res.retryAfter });
          await new Promise((r) => setTimeout(r, 200));
        }
        sent++;
      }
    })();
    await eventually(
      'a third of the stream acknowledged',
      () => (sent >= REQUESTS / 3 ? true : undefined),
      30_000,
      20,
    );
    await kafkaSh('stop');
    brokerDown = true;
    await eventually(
      '503s while the broker is down',
      () => (unavailable.length >= 3 ? true : undefined),
      30_000,
      50,
    );
    const acknowledgedWhileDown = acknowledged.size;
    await kafkaSh('start');
    brokerDown = false;
    await client;
    expect(brokerDown).toBe(false);

    // Requests could still be in flight at the stop; none was acknowledged after the broker was gone.
    expect(acknowledgedWhileDown).toBeLessThan(REQUESTS * PER_REQUEST);
    expect(acknowledged.size).toBe(REQUESTS * PER_REQUEST);
    for (const u of unavailable) {
      expect(u.retryAfter).toMatch(/^\d+$/);
      // Bounded by KAFKA_PUBLISH_TIMEOUT_MS (2 s) plus scheduling slack on a busy 2-core machine.
      expect(u.latencyMs).toBeLessThan(4_000);
    }

    await eventually(
      'the worker caught up after the restart',
      async () => ((await groupLag(worker)) === 0 ? true : undefined),
      90_000,
      250,
    );
    expect(await worker.stop()).toBe(0);
    expect(await collector.stop()).toBe(0);
    const [rows] = await queryStore<{ id: string }>(
      dataDir,
      `SELECT id FROM events_raw FINAL WHERE source = '${source}'`,
    );
    const stored = new Set((rows ?? []).map((r) => r.id));
    expect(rows).toHaveLength(acknowledged.size);
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);
  }, 180_000);
});
