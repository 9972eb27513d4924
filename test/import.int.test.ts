import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `shewhart import` of a CSV file with a ragged row (issue 10, defect 5): the row is an invalid record
 * like any other — listed with its file and line, skipped, exit 2 — instead of aborting the import.
 */
const dir = mkdtempSync(join(tmpdir(), 'shewhart-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, SHEWHART_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'error' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const header = 'id,source,type,time,team,data.deploymentId,data.environment,data.status';
const row = (id: string, day: number, status = 'success') =>
  `${id},ci/main,delivery.deployment,2026-03-0${day}T12:00:00Z,payments,${id},production,${status}`;
const csv = join(dir, 'deployments.csv');
writeFileSync(
  csv,
  `${[header, row('d1', 2), row('d2', 3), 'd3,ci/main,delivery.deployment', row('d4', 4, 'failed')].join('\n')}\n`,
);

describe('shewhart import: a ragged CSV row', () => {
  it('with --strict: is listed with file and line, and nothing is imported', () => {
    const r = cli('import', csv, '--strict');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`invalid ${csv}:4: the row has 3 fields but the header has 8`);
    expect(r.err).toContain('nothing was imported');
  });

  // Runs after the --strict import: "3 new, 0 duplicates" also shows that --strict stored nothing.
  it('is listed with file and line and skipped; the other rows are imported (exit 2)', () => {
    const r = cli('import', csv);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`invalid ${csv}:4: the row has 3 fields but the header has 8`);
    expect(r.out).toContain(`${csv}: 4 records, 3 valid (3 new, 0 duplicates), 1 invalid`);
  });
});
