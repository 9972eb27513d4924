import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeForge, startFakeForge } from './support/fake-forge.js';
import { eventually } from './support/wait.js';

/**
 * `shewhart backfill github` as a user runs it, against a fake GitHub API on 127.0.0.1: killed
 * (SIGKILL) while it waits for a page, then run again, it resumes from its cursor and the store holds
 * every fact once.
 */
const dir = mkdtempSync(join(tmpdir(), 'shewhart-backfill-'));
const data = join(dir, 'data');
const repo = 'acme/payments-api';
let forge: FakeForge;

beforeAll(async () => {
  forge = await startFakeForge();
  const issues = Array.from({ length: 9 }, (_, i) => ({
    id: 9000 + i,
    number: i + 1,
    labels: [{ name: 'bug' }, ...(i % 3 === 0 ? [{ name: 'sev:critical' }] : [])],
    state: i === 4 ? 'closed' : 'open',
    created_at: `2024-03-0${i + 1}T08:00:00Z`,
    updated_at: `2024-03-0${i + 1}T09:00:00Z`,
    closed_at: i === 4 ? '2024-03-09T10:00:00Z' : null,
    state_reason: i === 4 ? 'completed' : null,
  }));
  forge.list(`/repos/${repo}/milestones`, [
    { id: 1, title: 'v1.0.0', due_on: '2024-03-20T07:00:00Z', created_at: '2024-03-01T00:00:00Z' },
  ]);
  forge.list(`/repos/${repo}/issues`, issues, 3);
  forge.list(`/repos/${repo}/pulls`, [], 3);
  forge.list(`/repos/${repo}/deployments`, [], 3);
  forge.list(`/repos/${repo}/releases`, [
    {
      id: 77,
      tag_name: 'v1.0.0',
      name: '1.0',
      draft: false,
      prerelease: false,
      created_at: '2024-03-21T10:00:00Z',
      published_at: '2024-03-21T10:00:00Z',
    },
  ]);
  writeFileSync(
    join(dir, 'shewhart.yaml'),
    `version: 2
sources:
  github:
    secretEnv: UNUSED_GITHUB_SECRET
    apiUrl: ${forge.url}
    repositories: { "${repo}": { team: payments } }
    severityLabels: { "sev:critical": critical }
`,
  );
});
afterAll(async () => {
  await forge?.close();
  rmSync(dir, { recursive: true, force: true });
});

const args = ['--import', 'tsx', 'packages/cli/src/main.ts'];
const env = {
  ...process.env,
  SHEWHART_DATA_DIR: data,
  SHEWHART_CONFIG: join(dir, 'shewhart.yaml'),
  LOG_LEVEL: 'error',
};
const backfill = ['backfill', 'github', '--repo', repo, '--since', '2024-03-01'];

/** The CLI as a child process, asynchronously: the fake API answers from this process's event loop. */
function cli(extra: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...args, ...backfill, ...extra], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

describe('shewhart backfill github', () => {
  it('resumes after being killed mid-run and stores every fact once', async () => {
    forge.holdOn('page=3');
    const child = spawn(process.execPath, [...args, ...backfill], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise((r) => child.once('exit', r));
    await eventually(
      'the third page of issues to be requested',
      () => (forge.requests.some((r) => r.includes('/issues') && r.includes('page=3')) ? true : undefined),
      60_000,
    );
    child.kill('SIGKILL');
    await exited;
    forge.heal();
    const cursorFile = join(data, 'backfill', 'github-acme--payments-api.json');
    expect(existsSync(cursorFile), stderr).toBe(true);
    const cursor = JSON.parse(readFileSync(cursorFile, 'utf8'));
    expect(cursor).toMatchObject({ phase: 1, next: expect.stringContaining('page=3') });

    const resumed = await cli();
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('resuming acme/payments-api');
    expect(resumed.stdout).toMatch(/acme\/payments-api: \d+ items read/);

    // 1 plan + 9 opened + 1 closed + 1 release, each once.
    const q = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/support/store-query.ts',
        data,
        "SELECT count() AS n, uniqExact(source, id) AS u, countIf(type = 'defect.reported') AS reported FROM events_raw",
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(q.status, q.stderr).toBe(0);
    const [[row]] = JSON.parse(q.stdout) as [[{ n: number; u: number; reported: number }]];
    expect(row).toEqual({ n: 12, u: 12, reported: 9 });

    // Run again from scratch: everything is a duplicate.
    const again = await cli(['--restart']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('12 events (0 new, 12 duplicates)');
  });
});
