import { fileURLToPath } from 'node:url';
import { type KpiWarehouse, openKpiWarehouse } from '@shewhart/kpi/testing';
import { loadObjectivesFile } from '@shewhart/objectives';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectiveSeriesToRefresh, refreshObjectiveSeries } from './objective-series.js';

const EXAMPLE = fileURLToPath(new URL('../../../infra/config/shewhart.example.yaml', import.meta.url));
const objectives = loadObjectivesFile(EXAMPLE);

let kw: KpiWarehouse;
beforeAll(async () => {
  kw = await openKpiWarehouse();
});
afterAll(() => kw?.dispose());

describe('refreshObjectiveSeries', () => {
  it('on a new installation, objectives of teams no event names yet are waiting, not failed', async () => {
    const keys = objectiveSeriesToRefresh(objectives);
    const teamScoped = keys.filter((k) => k.team !== '');
    expect(teamScoped.length).toBeGreaterThan(0);
    // One team has sent something: its series is refreshed, the others wait for their first event.
    const known = teamScoped[0]?.team as string;
    await kw.write([
      {
        id: 'first',
        source: 'test/objective-series',
        type: 'defect.reported',
        time: '2026-01-05T10:00:00Z',
        team: known,
        data: { defectId: 'd-1', severity: 'minor', detectionActivity: 'system_test' },
      },
    ]);
    await kw.states.catchUp();
    const r = await refreshObjectiveSeries(kw.states, objectives, { asOf: new Date('2026-03-01T00:00:00Z') });
    expect(r.failed).toEqual([]);
    const unknownTeams = teamScoped.filter((k) => k.team !== known).length;
    expect(r.waiting).toBe(unknownTeams);
    expect(r.series).toBe(keys.length - unknownTeams);
  });
});
