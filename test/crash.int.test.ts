/**
 * Crash consistency of the embedded server (issue 11): a client posts batches of mixed events (defects,
 * deployments, incidents, releases, reviews, CAPAs, surveys, complaints), retrying whatever is not
 * acknowledged, while `shewhart start` is SIGKILLed 40 times at random points (start-up, mid-request,
 * mid-flush, between a flush's insert and its derive) and started again on the same data directory.
 * Afterwards every event is stored exactly once in every per-event table a KPI reads, and every KPI of
 * the catalogue equals the KPI of the same events ingested calmly into a fresh directory.
 *
 * The kill points are random but reproducible: the seed is printed (set SHEWHART_CRASH_SEED to replay).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '@shewhart/cli/demo';
import { afterAll, describe, expect, it } from 'vitest';
import { calmKpis, kpiDifferences, kpiSnapshot, postBatch, storageProblems } from './support/crash-check.js';
import { watchParts } from './support/parts.js';
import { prng, shuffled } from './support/random.js';
import { killServers, startServer } from './support/server.js';

const KILLS = 40;
const BATCH = 200;
const PART_TABLES = ['events_raw', 'event_keys', 'defect_events', 'delivery_events', 'quality_events'];
/** The demo history ends here; KPIs are evaluated as of then, so both runs agree on "now". */
const END = new Date('2026-01-05T00:00:00Z');

const dir = mkdtempSync(join(tmpdir(), 'shewhart-crash-'));
afterAll(async () => {
  await killServers();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded server crash consistency', () => {
  it('keeps every acknowledged event exactly once in every KPI table, and every KPI exact, through 40 SIGKILLs', async () => {
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: a replay knob of this test; vitest runs outside turbo.
    const seed = Number(process.env.SHEWHART_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const events = shuffled([...generateDemo({ weeks: 52, teams: 13, seed: 11, end: END })], random);
    const batches = Array.from({ length: Math.ceil(events.length / BATCH) }, (_, i) =>
      events.slice(i * BATCH, (i + 1) * BATCH),
    );
    const acked = new Set<number>();
    const queue = batches.map((_, i) => i);
    const kills: string[] = [];

    for (let round = 0; round < KILLS; round++) {
      const server = await startServer(dir);
      // A few batches at once (their flushes merge), one already acknowledged now and then (a client
      // that never saw the answer), then a kill: at a random moment of their handling, or (every other
      // round) the moment one of the tables the insert path writes gets its next part.
      const take = queue.splice(0, 1 + Math.floor(random() * 6));
      if (acked.size > 0 && random() < 0.2)
        take.push([...acked][Math.floor(random() * acked.size)] as number);
      // Aimed kills watch a table the insert path writes: events_raw (the commit point), event_keys or
      // a typed table (written after it, by another part).
      const table = PART_TABLES[Math.floor(random() * PART_TABLES.length)] as string;
      const parts = round % 2 === 1 ? watchParts(dir, table) : undefined;
      const posts = take.map(async (i) => {
        if (await postBatch(server.url, batches[i] as unknown[])) acked.add(i);
        else if (!acked.has(i)) queue.unshift(i);
      });
      let point: string;
      if (parts) {
        point = `${(await parts.next(2_000)) ? 'part' : 'no part'} of ${table}`;
        parts.close();
      } else {
        const delay = Math.floor(random() * 600);
        await new Promise((r) => setTimeout(r, delay));
        point = `${delay}ms`;
      }
      await server.kill();
      await Promise.all(posts);
      kills.push(`${point}/${take.length}`);
    }

    // The last start: the client retries everything still unacknowledged, and posts the rest.
    const server = await startServer(dir);
    while (queue.length > 0) {
      const i = queue.shift() as number;
      if (!(await postBatch(server.url, batches[i] as unknown[])))
        throw new Error(server.logs().slice(-4_000));
      acked.add(i);
    }
    expect(acked.size).toBe(batches.length);
    const asOf = END.toISOString();
    const crashed = await kpiSnapshot(server.url, asOf);
    expect(await server.stop()).toBe(0);
    console.info(
      `crash test: seed ${seed}, ${events.length} events in ${batches.length} batches, ${kills.length} kills (kill point/batches: ${kills.join(' ')})`,
    );

    expect(await storageProblems(dir, events)).toEqual([]);
    const calm = await calmKpis(batches, asOf);
    expect(Object.keys(calm).length).toBeGreaterThan(20);
    expect(kpiDifferences(crashed, calm)).toEqual([]);
  }, 600_000);
});
