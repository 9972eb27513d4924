import { rmSync } from 'node:fs';
import { openWarehouse } from '@shewhart/warehouse';
import { describe, expect, it } from 'vitest';
import { ev, startTestRuntime } from './support/embedded.js';
import { eventually } from './support/wait.js';

describe('graceful shutdown of the embedded runtime', () => {
  it('answers every in-flight request after flushing it, and loses nothing', async () => {
    const rt = await startTestRuntime({ SHEWHART_FLUSH_MS: '1500', SHEWHART_FLUSH_ROWS: '1000000' });
    const posts = Array.from({ length: 8 }, (_, k) =>
      rt.post(
        Array.from({ length: 25 }, (_, i) =>
          ev('defect.reopened', { defectId: `s${k}-${i}` }, { id: `shut-${k}-${i}` }),
        ),
      ),
    );
    await eventually(
      'all eight batches in the buffer',
      () => (rt.store.bufferedRows >= 200 ? true : undefined),
      20_000,
      10,
    );
    expect(rt.store.bufferedRows).toBe(200); // all eight batches wait in the buffer, none acknowledged yet
    await rt.shutdown();
    const answers = await Promise.all(posts);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));

    // Reopen the same directory: everything acknowledged is there.
    const again = await openWarehouse({ dataDir: rt.dataDir, database: 'shewhart' });
    const rs = await again.client.query({
      query: "SELECT count() AS c FROM events_raw WHERE startsWith(id, 'shut-')",
      format: 'JSONEachRow',
    });
    expect(Number((await rs.json<{ c: unknown }>())[0]?.c)).toBe(200);
    await again.close();
    rmSync(rt.dataDir, { recursive: true, force: true });
  });
});
