import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { startTestRuntime } from './support/embedded.js';

/**
 * `shewhart objectives --config FILE` beside a running server (issue 10, defect 6): the server was
 * started without objectives; the file named on the command line is evaluated on the server's data
 * instead of being silently ignored.
 */
let server: Awaited<ReturnType<typeof startTestRuntime>>;
const dir = mkdtempSync(join(tmpdir(), 'shewhart-objectives-cli-'));

beforeAll(async () => {
  server = await startTestRuntime();
  // Week of Monday 2026-03-02: payments deploys four times, one fails (CFR 25 %); mobile twice, no failure.
  const dep = (id: string, team: string, day: number, status = 'success') => ({
    id,
    source: 'ci/main',
    type: 'delivery.deployment',
    time: `2026-03-0${day}T12:00:00Z`,
    team,
    data: { deploymentId: id, environment: 'production', status },
  });
  const res = await server.post([
    dep('p1', 'payments', 2),
    dep('p2', 'payments', 3),
    dep('p3', 'payments', 4, 'failed'),
    dep('p4', 'payments', 5),
    dep('m1', 'mobile', 3),
    dep('m2', 'mobile', 4),
  ]);
  expect(res.status).toBe(202);
});

afterAll(async () => {
  await server?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** The real CLI, asynchronously (the server under test lives in this process). */
const cli = (...args: string[]) => runCli(args, { SHEWHART_DATA_DIR: join(dir, 'unused') });

const objectivesFile = join(dir, 'objectives.yaml');
writeFileSync(
  objectivesFile,
  `version: 1
objectives:
  - id: payments-cfr
    kpi: change_failure_rate
    scope: { team: payments }
    direction: lower
    target: 20
    period: week
    owner: payments-lead
  - id: mobile-cfr
    kpi: change_failure_rate
    scope: { team: mobile }
    direction: lower
    target: 20
    period: week
    owner: mobile-lead
`,
);

describe('shewhart objectives --config FILE against a running server', () => {
  it("evaluates the file's objectives on the server's KPI series", async () => {
    const r = await cli('objectives', '--url', server.url, '--config', objectivesFile, '--format', 'json');
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as {
      configured: boolean;
      objectives: {
        objective: { id: string };
        latest: { periodStart: string; actual: number; status: string };
      }[];
    };
    expect(doc.configured).toBe(true);
    expect(doc.objectives.map((o) => [o.objective.id, o.latest])).toEqual([
      ['payments-cfr', expect.objectContaining({ periodStart: '2026-03-02', actual: 25, status: 'missed' })],
      ['mobile-cfr', expect.objectContaining({ periodStart: '2026-03-02', actual: 0, status: 'met' })],
    ]);
  });

  it('says in the table which file was evaluated on which server', async () => {
    const r = await cli('objectives', '--url', server.url, '--config', objectivesFile);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`objectives of ${objectivesFile}, evaluated on the data of ${server.url}`);
    expect(r.out).toMatch(/payments-cfr.*missed/);
    expect(r.out).toMatch(/mobile-cfr.*met/);
  });

  it('refuses an invalid file with its line and a non-zero exit', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\nobjectives:\n  - id: x\n    kpi: no_such_kpi\n    direction: lower\n    target: 1\n    owner: me\n',
    );
    const r = await cli('objectives', '--url', server.url, '--config', bad);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`${bad}:4`);
    expect(r.err).toContain('unknown KPI "no_such_kpi"');
  });

  it('without --config shows what the server has, and says how to evaluate a file', async () => {
    const r = await cli('objectives', '--url', server.url);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('pass --config FILE');
  });
});
