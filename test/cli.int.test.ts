import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** Runs the real CLI (`pnpm shewhart ...`) as a child process against a fresh data directory. */
const dir = mkdtempSync(join(tmpdir(), 'shewhart-cli-'));
const data = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, SHEWHART_DATA_DIR: data, LOG_LEVEL: 'error' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dep = (id: string, day: number, status = 'success') => ({
  id,
  source: 'ci/main',
  type: 'delivery.deployment',
  time: `2026-03-0${day}T12:00:00Z`,
  team: 'payments',
  data: { deploymentId: id, environment: 'production', status },
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function cfr() {
  const r = cli('kpi', 'show', 'change_failure_rate', '--period', 'week', '--format', 'json');
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as { points: { periodStart: string; numerator: number; denominator: number }[] };
}

describe('shewhart import', () => {
  it('--strict imports nothing when any record is invalid', () => {
    const file = write('strict.ndjson', `${JSON.stringify(dep('s1', 2))}\n{"id":"bad"}\n`);
    const r = cli('import', file, '--strict');
    expect(r.code).toBe(1);
    expect(r.err).toContain('strict.ndjson:2');
    expect(cfr().points).toEqual([]);
  });

  it('imports NDJSON, reports invalid lines with their number and keeps going (exit 2)', () => {
    const file = write(
      'events.ndjson',
      [
        JSON.stringify(dep('d1', 2)),
        '',
        JSON.stringify({ ...dep('d2', 3), time: 'yesterday' }),
        'not json',
        JSON.stringify(dep('d3', 4, 'failed')),
      ].join('\n'),
    );
    const r = cli('import', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/events\.ndjson:3: time: must be an RFC 3339 timestamp/);
    expect(r.err).toMatch(/events\.ndjson:4: not valid JSON/);
    expect(r.out).toMatch(/4 records, 2 valid \(2 new, 0 duplicates\), 2 invalid/);
    expect(cfr().points).toEqual([
      { periodStart: '2026-03-02', value: 50, numerator: 1, denominator: 2, n: 2, provisional: false },
    ]);
  });

  it('is idempotent: importing again stores nothing twice', () => {
    const r = cli('import', join(dir, 'events.ndjson'));
    expect(r.out).toMatch(/2 valid \(0 new, 2 duplicates\)/);
    expect(cfr().points[0]).toMatchObject({ denominator: 2 });
  });

  it('imports a JSON array and CSV with the documented column mapping', () => {
    const json = write('more.json', JSON.stringify([dep('j1', 5), dep('j2', 5, 'rolled_back')]));
    expect(cli('import', json).code).toBe(0);
    const csv = write(
      'more.csv',
      'id,source,type,time,team,data.deploymentId,data.environment,data.status,data.changeFailure\n' +
        'c1,ci/main,delivery.deployment,2026-03-06T12:00:00Z,payments,0042,production,success,true\n',
    );
    const r = cli('import', csv);
    expect(r.code, r.err).toBe(0);
    // d1 ok, d3 failed, j1 ok, j2 rolled back, c1 marked as change failure: 3 of 5.
    expect(cfr().points).toEqual([
      { periodStart: '2026-03-02', value: 60, numerator: 3, denominator: 5, n: 5, provisional: false },
    ]);
  });

  it('passes the dimension and the evaluation instant through', () => {
    const bad = cli('kpi', 'show', 'defect_density', '--unit', 'furlongs');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('unit: must be one of: kloc, function_points, story_points');
    const ok = cli(
      'kpi',
      'show',
      'defect_density',
      '--unit',
      'story_points',
      '--as-of',
      '2026-04-01',
      '--format',
      'json',
    );
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ kpi: 'defect_density', points: [] });
  });

  it('records an assignable cause and re-establishes a baseline by a recorded decision', () => {
    const cause = cli(
      'baseline',
      'cause',
      'change_failure_rate',
      '--team',
      'payments',
      '--period-start',
      '2026-03-04',
      '--code',
      'TOOLING',
      '--ref',
      'CAR-3',
    );
    expect(cause.code, cause.err).toBe(0);
    // One week of data: no baseline yet, so nothing to take the point out of.
    expect(cause.out).toMatch(
      /recorded cause .* for the period starting 2026-03-02: the point stays in its baseline/,
    );
    const noReason = cli('baseline', 'rebase', 'change_failure_rate', '--team', 'payments');
    expect(noReason.code).toBe(1);
    expect(noReason.err).toContain("required option '--reason <text>'");
    const rebase = cli(
      'baseline',
      'rebase',
      'change_failure_rate',
      '--team',
      'payments',
      '--reason',
      'new pipeline',
    );
    expect(rebase.code, rebase.err).toBe(0);
    expect(rebase.out).toMatch(/recorded decision .*: new baseline from 2026-03-02/);
    const list = cli('baseline', 'list', '--format', 'json');
    expect(list.code, list.err).toBe(0);
  });

  it('draws a control chart (table, JSON document and SVG picture)', () => {
    const svg = join(dir, 'cfr.svg');
    const table = cli('kpi', 'chart', 'change_failure_rate', '--team', 'payments', '--plot', svg);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(
      /Change failure rate \(%\), per week, team payments — p chart, rules WE1 \+ WE4/,
    );
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const json = JSON.parse(
      cli('kpi', 'chart', 'change_failure_rate', '--team', 'payments', '--format', 'json').out,
    );
    expect(json).toMatchObject({ kpi: 'change_failure_rate', scope: { team: 'payments' }, chart: 'p' });
  });

  it('explains bad usage', () => {
    const r = cli('kpi', 'show', 'no_such_kpi');
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown KPI "no_such_kpi"');
    const bad = cli('kpi', 'show', 'change_failure_rate', '--period', 'fortnight');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('period');
    expect(cli('--help').out).toMatch(/start|import|kpi/);
  });
});
