import { randomBytes } from 'node:crypto';
import { hasPack, listPacks, PACK_SCHEDULER_ID, startPackJobs } from '@shewhart/report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

/**
 * The scaled deployment's pack schedule on the real Redis: a BullMQ job scheduler with a fixed id
 * (reconciled, not duplicated, when a worker boots again) whose jobs generate the pack of the last closed
 * quarter once, however many jobs and workers ask.
 */
const REDIS = 'redis://127.0.0.1:6379';
const prefix = `shewhart-test-${randomBytes(4).toString('hex')}`;
const logger = { info: () => undefined, warn: () => undefined };
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

beforeAll(async () => {
  rt = await startTestRuntime();
  const defect = (id: string, time: string) =>
    ev('defect.reported', { defectId: id, severity: 'major', detectionActivity: 'system_test' }, { time });
  expect(
    (await rt.post([defect('D-1', '2026-05-04T10:00:00Z'), defect('D-2', '2026-06-10T10:00:00Z')])).status,
  ).toBe(202);
});
afterAll(async () => rt.dispose());

describe('the review pack job scheduler (BullMQ)', () => {
  it('keeps the pack of the last closed quarter once, with one scheduler however often workers boot', async () => {
    const sources = { states: rt.storage.states };
    const options = {
      redisUrl: REDIS,
      prefix,
      logger,
      intervalMs: 300,
      firstDelayMs: 0,
      now: () => new Date('2026-07-10T00:00:00Z'),
    };
    const first = await startPackJobs(sources, options);
    const second = await startPackJobs(sources, options);
    try {
      await eventually(
        'the 2026-Q2 pack to be kept',
        async () => ((await hasPack(rt.storage.states.client, '2026-Q2')) ? true : undefined),
        60_000,
      );
      expect((await first.queue.getJobSchedulers()).map((s) => s.key ?? s.id)).toEqual([PACK_SCHEDULER_ID]);
      // Later jobs find the pack kept and keep nothing more.
      await eventually(
        'two more jobs to complete',
        async () => ((await first.queue.getCompletedCount()) >= 3 ? true : undefined),
        60_000,
      );
      const packs = await listPacks(rt.storage.states.client);
      expect(packs.map((p) => [p.id, p.generations, p.trigger])).toEqual([['2026-Q2', 1, 'schedule']]);
    } finally {
      await first.queue.removeJobScheduler(PACK_SCHEDULER_ID);
      await first.queue.obliterate({ force: true });
      await second.close();
      await first.close();
    }
  }, 180_000);
});
