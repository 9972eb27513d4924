import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitlabSource, mapGitlab } from '@shewhart/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeForge, startFakeForge } from './support/fake-forge.js';
import { eventually } from './support/wait.js';

/**
 * `shewhart backfill github` and `shewhart backfill gitlab` as a user runs them, against a fake GitHub
 * and GitLab API on 127.0.0.1: killed (SIGKILL) while it waits for a page, then run again, each resumes
 * from its cursor and the store holds every fact once, under the ids the webhooks give the same facts.
 */
const dir = mkdtempSync(join(tmpdir(), 'shewhart-backfill-'));
const data = join(dir, 'data');
const repo = 'acme/payments-api';
const project = 'acme/mobile-app';
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
  gitlab:
    tokenEnv: UNUSED_GITLAB_TOKEN
    apiUrl: ${forge.url}/api/v4
    apiTokenEnv: TEST_GITLAB_API
    projects: { "${project}": { team: mobile } }
    severityLabels: { "sev:major": major }
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
  TEST_GITLAB_API: 'gl-api-token',
};
const backfill = ['backfill', 'github', '--repo', repo, '--since', '2024-03-01'];

/** The CLI as a child process, asynchronously: the fake API answers from this process's event loop. */
function cli(
  extra: string[] = [],
  command = backfill,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...args, ...command, ...extra], {
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

/** Events of the GitLab project in the store: ids and types, and the raw row count (before any merge). */
function gitlabStored(): { ids: { id: string; type: string }[]; raw: number } {
  const q = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'test/support/store-query.ts',
      data,
      `SELECT id, type FROM events_raw FINAL WHERE source = 'gitlab/${project}' ORDER BY id`,
      `SELECT count() AS n FROM events_raw WHERE source = 'gitlab/${project}'`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(q.status, q.stderr).toBe(0);
  const [ids, [count]] = JSON.parse(q.stdout) as [{ id: string; type: string }[], [{ n: number }]];
  return { ids, raw: Number(count.n) };
}

describe('shewhart backfill gitlab', () => {
  const api = `/api/v4/projects/${encodeURIComponent(project)}`;
  const fixture = (name: string) =>
    JSON.parse(
      readFileSync(new URL(`../packages/connectors/src/fixtures/${name}.json`, import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
  // REST shapes (GitLab's issues, merge requests, deployments and releases APIs), trimmed. Issue 88, merge
  // request 312, deployment 801234 and release v5.2.0 are the facts of the webhook fixtures.
  const issue = (iid: number, extra: Record<string, unknown> = {}) => ({
    id: 151033133 + iid,
    iid,
    project_id: 4410,
    title: `Issue ${iid}`,
    state: 'opened',
    created_at: `2024-03-0${iid - 84}T08:31:10.000Z`,
    updated_at: `2024-03-0${iid - 84}T08:31:10.000Z`,
    closed_at: null,
    labels: ['bug'],
    ...extra,
  });
  const mergeRequest = (iid: number, state: string, at: string) => ({
    id: 290017432 + iid,
    iid,
    project_id: 4410,
    title: `MR ${iid}`,
    state,
    created_at: '2024-03-05T09:00:00.000Z',
    updated_at: at,
    merged_at: state === 'merged' ? at : null,
    closed_at: state === 'closed' ? at : null,
    user_notes_count: 4,
  });
  const deployment = (id: number, status: string, environment: string, tier: string) => ({
    id,
    iid: id - 801200,
    ref: 'main',
    sha: 'b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1',
    status,
    created_at: '2024-03-06T16:50:00.000Z',
    updated_at: '2024-03-06T17:02:11.000Z',
    deployable: {
      id: 6543210987,
      status,
      finished_at: status === 'running' ? null : '2024-03-06T17:02:11.000Z',
    },
    environment: { id: 9, name: environment, tier },
  });

  beforeAll(() => {
    forge.list(
      `${api}/issues`,
      [
        issue(88, { id: 151033221, labels: ['bug', 'sev:major'] }),
        issue(89),
        issue(90, {
          state: 'closed',
          closed_at: '2024-03-08T10:00:00.000Z',
          updated_at: '2024-03-08T10:00:00.000Z',
        }),
        issue(91),
        issue(92, { labels: ['feature'] }), // not a defect: ignored
      ],
      2,
    );
    forge.list(`${api}/merge_requests`, [
      mergeRequest(312, 'merged', '2024-03-06T15:00:00.000Z'),
      mergeRequest(313, 'closed', '2024-03-07T11:00:00.000Z'),
      mergeRequest(314, 'opened', '2024-03-07T12:00:00.000Z'), // still open: no review yet
    ]);
    for (const iid of [312, 313]) {
      forge.one(`${api}/merge_requests/${iid}`, { iid, user_notes_count: 4 });
      forge.list(`${api}/merge_requests/${iid}/diffs`, [
        { diff: '@@ -1,2 +1,3 @@\n-old\n+new\n+more\n same\n' },
      ]);
    }
    forge.list(`${api}/deployments`, [
      deployment(801234, 'success', 'production', 'production'),
      deployment(801235, 'running', 'production', 'production'), // not finished: ignored
      deployment(801236, 'failed', 'staging', 'staging'),
    ]);
    forge.list(`${api}/releases`, [
      {
        tag_name: 'v5.2.0',
        name: 'Mobile 5.2',
        created_at: '2024-03-29T10:00:00.000Z',
        released_at: '2024-03-29T10:00:00.000Z',
        milestones: [{ id: 5501, iid: 12, title: '5.2', state: 'closed', due_date: '2024-03-27' }],
      },
    ]);
  });

  it('resumes after being killed mid-run, stores every fact once, under the webhooks ids', async () => {
    const command = ['backfill', 'gitlab', '--project', project, '--since', '2024-03-01'];
    forge.holdOn('page=2');
    const child = spawn(process.execPath, [...args, ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise((r) => child.once('exit', r));
    await eventually(
      'the second page of issues to be requested',
      () =>
        forge.requests.some((r) => r.includes('mobile-app/issues') && r.includes('page=2'))
          ? true
          : undefined,
      60_000,
    );
    child.kill('SIGKILL');
    await exited;
    forge.heal();
    const cursorFile = join(data, 'backfill', 'gitlab-acme--mobile-app.json');
    expect(existsSync(cursorFile), stderr).toBe(true);
    expect(JSON.parse(readFileSync(cursorFile, 'utf8'))).toMatchObject({
      phase: 0,
      next: expect.stringContaining('page=2'),
    });
    // The first page (issues 88 and 89) was stored before the kill.
    expect(gitlabStored().ids.map((r) => r.id)).toEqual(['issue-151033221-opened', 'issue-151033222-opened']);

    const resumed = await cli([], command);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming ${project}`);
    const after = gitlabStored();
    // 4 defects reported, 1 resolved, 2 reviews (merged, closed), 2 finished deployments, 1 release.
    expect(after.ids.map((r) => r.type).sort()).toEqual([
      'defect.reported',
      'defect.reported',
      'defect.reported',
      'defect.reported',
      'defect.resolved',
      'delivery.deployment',
      'delivery.deployment',
      'delivery.release',
      'review.completed',
      'review.completed',
    ]);
    // Nothing twice, not even before a merge: the re-read page stored nothing new.
    expect(after.raw).toBe(10);

    // The webhooks give the same facts the same ids: a delivery after the backfill is a duplicate.
    const config = GitlabSource.parse({ tokenEnv: 'UNUSED', projects: { [project]: { team: 'mobile' } } });
    const lookups = { mergeRequest: { additions: 2, deletions: 1 } };
    const webhookIds = [
      'gitlab-issue-open',
      'gitlab-merge_request-merge',
      'gitlab-deployment-success',
      'gitlab-release-create',
    ].flatMap((name) => {
      const mapped = mapGitlab({ payload: fixture(name) }, { config, defaultTeam: 'unassigned', lookups });
      return 'events' in mapped ? mapped.events.map((e) => e.id) : [`${name}: ${mapped.ignored}`];
    });
    expect(webhookIds).toHaveLength(4);
    for (const id of webhookIds) expect(after.ids.map((r) => r.id)).toContain(id);

    // Run again from scratch: everything is a duplicate.
    const again = await cli(['--restart'], command);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('10 events (0 new, 10 duplicates)');
    expect(gitlabStored().raw).toBe(10);
  });
});
