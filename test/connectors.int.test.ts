import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BackfillCursor,
  backfillGithub,
  GithubSource,
  githubClient,
  newCursor,
  signHub,
} from '@shewhart/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from './support/embedded.js';
import { type FakeForge, startFakeForge } from './support/fake-forge.js';

/**
 * The connectors end to end, on the embedded runtime: signed GitHub, GitLab and Jira deliveries and
 * CDEvents become contract events in the store; redeliveries store nothing new; forged signatures are
 * refused with nothing stored; a backfill from a fake GitHub API resumes after an interruption without
 * storing anything twice, and meets the webhook's events on the same ids.
 */
const SECRETS = { github: 'gh-webhook-secret', gitlab: 'gl-webhook-token', jira: 'jira-webhook-secret' };
// The configuration file names these variables; the secrets themselves are only in the environment.
process.env.TEST_GITHUB_SECRET = SECRETS.github;
process.env.TEST_GITHUB_API = 'gh-api-token';
process.env.TEST_GITLAB_TOKEN = SECRETS.gitlab;
process.env.TEST_GITLAB_API = 'gl-api-token';
process.env.TEST_JIRA_SECRET = SECRETS.jira;

const dir = mkdtempSync(join(tmpdir(), 'shewhart-connectors-'));
let forge: FakeForge;
let rt: Awaited<ReturnType<typeof startTestRuntime>>;

const fixture = (name: string) =>
  readFileSync(new URL(`../packages/connectors/src/fixtures/${name}.json`, import.meta.url), 'utf8');

beforeAll(async () => {
  forge = await startFakeForge();
  const file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
sources:
  defaultTeam: unassigned
  github:
    secretEnv: TEST_GITHUB_SECRET
    apiUrl: ${forge.url}
    apiTokenEnv: TEST_GITHUB_API
    repositories: { "acme/payments-api": { team: payments, project: api } }
    productionEnvironments: [production, "prod-*"]
    defectLabels: [bug]
    severityLabels: { "sev:critical": critical, "sev:major": major, "sev:minor": minor }
    reviewCommentsAsDefects: true
  gitlab:
    tokenEnv: TEST_GITLAB_TOKEN
    apiUrl: ${forge.url}/api/v4
    apiTokenEnv: TEST_GITLAB_API
    projects: { "acme/mobile-app": { team: mobile } }
  jira:
    secretEnv: TEST_JIRA_SECRET
    projects: { PAY: { team: payments } }
    defectIssueTypes: [Bug]
  cdevents:
    sources: { "/tekton": { team: payments } }
`,
  );
  forge.list('/repos/acme/payments-api/milestones', [
    { id: 10744321, title: 'v2.4.0', due_on: '2024-03-31T07:00:00Z', created_at: '2024-02-01T12:00:00Z' },
  ]);
  forge.list('/repos/acme/payments-api/pulls/118/reviews', [
    { id: 1, user: { login: 'lead-bo' }, state: 'APPROVED', submitted_at: '2024-03-07T12:00:00Z' },
  ]);
  forge.one('/api/v4/projects/acme%2Fmobile-app/merge_requests/312', { iid: 312, user_notes_count: 4 });
  forge.list('/api/v4/projects/acme%2Fmobile-app/merge_requests/312/diffs', [
    { diff: '@@ -1,3 +1,4 @@\n-old line\n+new line\n+another\n context\n' },
  ]);
  rt = await startTestRuntime({ SHEWHART_CONFIG: file });
});

afterAll(async () => {
  await rt?.dispose();
  await forge?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${rt.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

const github = (event: string, body: string, secret = SECRETS.github) =>
  post('/v1/webhooks/github', body, {
    'x-github-event': event,
    'x-github-delivery': crypto.randomUUID(),
    'x-hub-signature-256': signHub(secret, body),
  });

async function stored(where = '1'): Promise<{ source: string; id: string; type: string; team: string }[]> {
  const rs = await rt.warehouse.client.query({
    query: `SELECT source, id, type, team FROM events_raw FINAL WHERE ${where} ORDER BY source, id`,
    format: 'JSONEachRow',
  });
  return rs.json();
}

describe('signed webhooks', () => {
  it('GitHub: a labelled bug is stored as defect.reported of the repository team; a redelivery stores nothing new', async () => {
    const body = fixture('github-issues-opened');
    const first = await github('issues', body);
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const again = await github('issues', body);
    expect(await again.json()).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await stored("source = 'github/acme/payments-api'")).toEqual([
      {
        source: 'github/acme/payments-api',
        id: 'issue-2154318842-opened',
        type: 'defect.reported',
        team: 'payments',
      },
    ]);
  });

  it('GitHub: forged or missing signatures are refused with 401 and nothing is stored', async () => {
    const before = (await stored()).length;
    const body = fixture('github-issues-closed');
    expect((await github('issues', body, 'not-the-secret')).status).toBe(401);
    expect((await post('/v1/webhooks/github', body, { 'x-github-event': 'issues' })).status).toBe(401);
    // The signature of another body.
    const other = await post('/v1/webhooks/github', body, {
      'x-github-event': 'issues',
      'x-hub-signature-256': signHub(SECRETS.github, `${body} `),
    });
    expect(other.status).toBe(401);
    expect((await stored()).length).toBe(before);
  });

  it('GitHub: a merged pull request, a production deployment and a release with its milestone (read from the API)', async () => {
    for (const [event, name] of [
      ['pull_request', 'github-pull_request-closed'],
      ['deployment_status', 'github-deployment_status-success'],
      ['release', 'github-release-published'],
    ] as const) {
      const res = await github(event, fixture(name));
      expect(res.status, name).toBe(202);
      expect(await res.json(), name).toMatchObject({ accepted: 1, duplicates: 0 });
    }
    const rows = await stored("source = 'github/acme/payments-api' AND type != 'defect.reported'");
    expect(rows.map((r) => r.type).sort()).toEqual([
      'delivery.deployment',
      'delivery.release',
      'review.completed',
    ]);
    const rs = await rt.warehouse.client.query({
      query:
        "SELECT data FROM events_raw WHERE type IN ('review.completed', 'delivery.release') ORDER BY type",
      format: 'JSONEachRow',
    });
    const [release, review] = (await rs.json<{ data: string }>()).map((r) => JSON.parse(r.data));
    expect(release).toMatchObject({ releaseId: 'v2.4.0', plannedEnd: '2024-03-31T07:00:00.000Z' });
    expect(review).toMatchObject({
      sizeReviewed: 222,
      defectsFound: 5,
      participants: 1,
      outcome: 'approved',
    });
  });

  it('GitHub: ping is answered; a payload the mapping does not understand is 202 ignored and counted', async () => {
    const ping = await github('ping', fixture('github-ping'));
    expect(ping.status).toBe(200);
    const odd = await github('issues', '{"action":"opened","repository":{"full_name":"acme/payments-api"}}');
    expect(odd.status).toBe(202);
    expect(await odd.json()).toMatchObject({ accepted: 0, ignored: expect.stringContaining('issue') });
    const notJson = await github('issues', 'this is not json');
    expect(notJson.status).toBe(202);
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metrics).toMatch(/shewhart_webhook_deliveries_total\{tool="github",outcome="ignored"\} [3-9]/);
    expect(metrics).toMatch(/shewhart_webhook_deliveries_total\{tool="github",outcome="unauthorized"\} 3/);
  });

  it('GitHub: an unmapped repository goes to the default team and is counted per source', async () => {
    const body = fixture('github-issues-opened').replaceAll('acme/payments-api', 'acme/ledger');
    expect(await (await github('issues', body)).json()).toMatchObject({ accepted: 1 });
    expect(await stored("source = 'github/acme/ledger'")).toEqual([
      {
        source: 'github/acme/ledger',
        id: 'issue-2154318842-opened',
        type: 'defect.reported',
        team: 'unassigned',
      },
    ]);
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metrics).toContain(
      'shewhart_source_unmapped_events_total{tool="github",source="github/acme/ledger"} 1',
    );
  });

  it('GitLab: the token is checked; an issue and a merged merge request (its size read from the API)', async () => {
    const issue = fixture('gitlab-issue-open');
    expect((await post('/v1/webhooks/gitlab', issue, { 'x-gitlab-token': 'wrong' })).status).toBe(401);
    expect((await post('/v1/webhooks/gitlab', issue, {})).status).toBe(401);
    const headers = { 'x-gitlab-token': SECRETS.gitlab, 'x-gitlab-event': 'Issue Hook' };
    expect(await (await post('/v1/webhooks/gitlab', issue, headers)).json()).toMatchObject({
      accepted: 1,
      duplicates: 0,
    });
    expect(await (await post('/v1/webhooks/gitlab', issue, headers)).json()).toMatchObject({ duplicates: 1 });
    const mr = await post('/v1/webhooks/gitlab', fixture('gitlab-merge_request-merge'), {
      ...headers,
      'x-gitlab-event': 'Merge Request Hook',
    });
    expect(await mr.json()).toMatchObject({ accepted: 1 });
    for (const name of ['gitlab-deployment-success', 'gitlab-release-create']) {
      expect((await post('/v1/webhooks/gitlab', fixture(name), headers)).status).toBe(202);
    }
    expect((await stored("source = 'gitlab/acme/mobile-app'")).map((r) => [r.type, r.team])).toEqual([
      ['delivery.deployment', 'mobile'],
      ['defect.reported', 'mobile'],
      ['review.completed', 'mobile'],
      ['delivery.release', 'mobile'],
    ]);
  });

  it('Jira: X-Hub-Signature verified; created then resolved', async () => {
    const created = fixture('jira-issue_created');
    expect(
      (await post('/v1/webhooks/jira', created, { 'x-hub-signature': signHub('wrong', created) })).status,
    ).toBe(401);
    expect(
      (await post('/v1/webhooks/jira', created, { 'x-hub-signature': signHub(SECRETS.jira, created) }))
        .status,
    ).toBe(202);
    const resolved = fixture('jira-issue_updated-resolved');
    expect(
      (await post('/v1/webhooks/jira', resolved, { 'x-hub-signature': signHub(SECRETS.jira, resolved) }))
        .status,
    ).toBe(202);
    expect(
      (await stored("source = 'jira/PAY'")).map((r) => r.id),
      JSON.stringify(await stored()),
    ).toEqual(['issue-10231-changelog-10554-resolved', 'issue-10231-created']);
  });

  it('CDEvents in binary and structured mode', async () => {
    const binary = await post('/v1/cdevents', fixture('cdevents-service_deployed'), {
      'ce-specversion': '1.0',
      'ce-type': 'dev.cdevents.service.deployed.0.2.0',
      'ce-id': '271069a8-fc18-44f1-b38f-9d70a1695819',
      'ce-source': '/tekton/prod-cluster',
    });
    expect(await binary.json()).toMatchObject({ accepted: 1 });
    const structured = fixture('cdevents-incident_detected.structured');
    const res = await post('/v1/cdevents', structured, { 'content-type': 'application/cloudevents+json' });
    expect(await res.json()).toMatchObject({ accepted: 1 });
    expect(
      (await post('/v1/cdevents', structured, { 'content-type': 'application/cloudevents+json' })).status,
    ).toBe(202);
    expect(await stored("source LIKE 'cdevents/%'")).toEqual([
      {
        source: 'cdevents/monitoring/prod1',
        id: 'incident-incident-123-opened',
        type: 'delivery.incident.opened',
        team: 'unassigned',
      },
      {
        source: 'cdevents/tekton/prod-cluster',
        id: 'service.deployed-271069a8-fc18-44f1-b38f-9d70a1695819',
        type: 'delivery.deployment',
        team: 'payments',
      },
    ]);
  });
});

describe('backfill', () => {
  const repo = 'acme/payments-api';
  const issue = (n: number, extra: Record<string, unknown> = {}) => ({
    id: 2154318800 + n,
    number: n,
    labels: [{ name: 'bug' }],
    state: 'open',
    created_at: `2024-03-0${1 + (n % 8)}T09:00:00Z`,
    updated_at: `2024-03-0${1 + (n % 8)}T09:00:00Z`,
    closed_at: null,
    ...extra,
  });

  it('reads a repository page by page, resumes after an interruption, and stores every fact once', async () => {
    // Issue 42 is the one the webhook delivered: the backfill finds it under the same id.
    const issues = [
      issue(42, {
        id: 2154318842,
        created_at: '2024-03-05T09:14:22Z',
        labels: [{ name: 'bug' }, { name: 'sev:critical' }],
      }),
      ...Array.from({ length: 6 }, (_, i) => issue(i + 1)),
      issue(7, { state: 'closed', closed_at: '2024-03-09T10:00:00Z', state_reason: 'completed' }),
      { ...issue(8), pull_request: { url: 'x' } },
    ];
    forge.list(`/repos/${repo}/issues`, issues, 3);
    forge.list(`/repos/${repo}/pulls`, [], 3);
    forge.list(`/repos/${repo}/deployments`, [], 3);
    forge.list(`/repos/${repo}/releases`, [], 3);
    forge.rateLimit(`/repos/${repo}/issues`, 1, 1);
    forge.breakOn(
      'issues?state=all&since=2024-03-01T00%3A00%3A00.000Z&sort=updated&direction=asc&per_page=100&page=3',
    );

    let saved: BackfillCursor | undefined;
    const waits: string[] = [];
    const io = {
      saveCursor: (c: BackfillCursor) => {
        saved = structuredClone(c);
      },
      publish: async (events: unknown[]) => {
        const res = await rt.post(events);
        expect(res.status).toBe(202);
        return (await res.json()) as { accepted: number; duplicates: number };
      },
    };
    const config = GithubSource.parse({
      secretEnv: 'TEST_GITHUB_SECRET',
      repositories: { [repo]: { team: 'payments' } },
    });
    const client = githubClient({ apiUrl: forge.url }, 'gh-api-token', {
      maxRetries: 1,
      sleep: async () => {},
      onWait: (s: number, why: string) => void waits.push(`${s}s ${why}`),
    });
    const run = (cursor: BackfillCursor) =>
      backfillGithub({ client, repo, config, defaultTeam: 'unassigned', cursor, io });
    const before = (await stored("source = 'github/acme/payments-api' AND type LIKE 'defect.%'")).length;

    await expect(run(newCursor('github', repo, '2024-03-01T00:00:00.000Z'))).rejects.toThrow(/page=3/);
    expect(waits.some((w) => w.startsWith('1s rate limited (429)'))).toBe(true);
    // Stopped in the issues phase, at the page it could not read; the pages before are stored.
    expect(saved).toMatchObject({ phase: 1, next: expect.stringContaining('page=3') });
    const midway = (await stored("source = 'github/acme/payments-api' AND type LIKE 'defect.%'")).length;
    expect(midway).toBeGreaterThan(before);

    forge.heal();
    const done = await run(saved as BackfillCursor);
    expect(done.phase).toBe(5);
    const rows = await stored("source = 'github/acme/payments-api' AND type LIKE 'defect.%'");
    // 8 issues opened (one of them the webhook's) + 1 closed; the pull request is not an issue.
    expect(rows.map((r) => r.id).filter((id) => id.endsWith('-opened'))).toHaveLength(8);
    expect(rows.filter((r) => r.type === 'defect.resolved')).toHaveLength(1);
    expect(done.totals.duplicates).toBeGreaterThanOrEqual(1); // issue 42, already delivered by webhook
    // Nothing twice: every (source, id) once in the raw table, before any merge.
    const rs = await rt.warehouse.client.query({
      query: 'SELECT count() AS n, uniqExact(source, id) AS u FROM events_raw',
      format: 'JSONEachRow',
    });
    const [counts] = await rs.json<{ n: string; u: string }>();
    expect(Number(counts?.n)).toBe(Number(counts?.u));
  });

  it('deployments: the commits a production deployment shipped, through the compare API when the payload lists none', async () => {
    const repo2 = 'acme/settlement';
    const api = `/repos/${repo2}`;
    const dep = (id: number, sha: string, environment: string, created: string, payload: unknown = {}) => ({
      id,
      sha,
      ref: 'main',
      environment,
      payload,
      created_at: created,
      updated_at: created,
    });
    const status = (id: number, state: string, at: string, environment: string) => ({
      id,
      state,
      environment,
      created_at: at,
      updated_at: at,
    });
    const listed = [{ changeId: 'pr-7', committedAt: '2024-03-12T08:00:00Z' }];
    // Newest first, as GitHub lists them. 500 is before --since: only the base of 501.
    forge.list(
      `${api}/deployments`,
      [
        dep(503, 'c3', 'production', '2024-03-20T10:00:00Z'),
        dep(502, 'c2', 'production', '2024-03-15T10:00:00Z', { changes: listed }),
        dep(504, 'c2', 'staging', '2024-03-14T10:00:00Z'),
        dep(501, 'c1', 'production', '2024-03-10T10:00:00Z'),
        dep(500, 'c0', 'production', '2024-02-20T10:00:00Z'),
      ],
      2,
    );
    forge.list(`${api}/deployments/503/statuses`, [
      status(9031, 'success', '2024-03-20T10:05:00Z', 'production'),
      status(9030, 'in_progress', '2024-03-20T10:01:00Z', 'production'),
    ]);
    forge.list(`${api}/deployments/502/statuses`, [
      status(9020, 'failure', '2024-03-15T10:05:00Z', 'production'),
    ]);
    forge.list(`${api}/deployments/504/statuses`, [
      status(9040, 'success', '2024-03-14T10:05:00Z', 'staging'),
    ]);
    forge.list(`${api}/deployments/501/statuses`, [
      status(9010, 'success', '2024-03-10T10:05:00Z', 'production'),
    ]);
    forge.list(`${api}/deployments/500/statuses`, [
      status(9000, 'success', '2024-02-20T10:05:00Z', 'production'),
    ]);
    const commit = (sha: string, authored: string, committed: string) => ({
      sha,
      commit: { author: { date: authored }, committer: { date: committed } },
    });
    // 503's base is 501 (502 failed, shipped nothing); 501's base is 500.
    forge.one(`${api}/compare/c1...c3`, {
      status: 'ahead',
      total_commits: 2,
      commits: [
        commit('x1', '2024-03-11T09:00:00Z', '2024-03-18T09:00:00Z'), // rebased: the author time counts
        commit('x2', '2024-03-16T09:00:00Z', '2024-03-16T09:00:00Z'),
      ],
    });
    forge.one(`${api}/compare/c0...c1`, {
      status: 'ahead',
      total_commits: 1,
      commits: [commit('y1', '2024-03-01T12:00:00Z', '2024-03-01T12:00:00Z')],
    });
    for (const empty of ['issues', 'pulls', 'releases', 'milestones']) forge.list(`${api}/${empty}`, []);

    const config = GithubSource.parse({
      secretEnv: 'TEST_GITHUB_SECRET',
      repositories: { [repo2]: { team: 'payments' } },
      productionEnvironments: ['production'],
    });
    const client = githubClient({ apiUrl: forge.url }, 'gh-api-token', {
      maxRetries: 1,
      sleep: async () => {},
    });
    const io = {
      saveCursor: () => {},
      publish: async (events: unknown[]) => {
        const res = await rt.post(events);
        expect(res.status).toBe(202);
        return (await res.json()) as { accepted: number; duplicates: number };
      },
    };
    const done = await backfillGithub({
      client,
      repo: repo2,
      config,
      defaultTeam: 'unassigned',
      cursor: newCursor('github', repo2, '2024-03-01T00:00:00.000Z'),
      io,
    });
    expect(done.phase).toBe(5);

    const rs = await rt.warehouse.client.query({
      query: `SELECT id, JSONExtractString(data, 'environment') AS environment,
                     JSONExtractString(data, 'status') AS status, JSONExtractRaw(data, 'changes') AS changes
              FROM events_raw FINAL WHERE source = 'github/${repo2}' ORDER BY id`,
      format: 'JSONEachRow',
    });
    const rows = (await rs.json<{ id: string; environment: string; status: string; changes: string }>()).map(
      (r) => ({ ...r, changes: r.changes === '' ? null : JSON.parse(r.changes) }),
    );
    expect(rows).toEqual([
      {
        id: 'deployment-501-status-9010',
        environment: 'production',
        status: 'success',
        changes: [{ changeId: 'y1', committedAt: '2024-03-01T12:00:00.000Z' }],
      },
      {
        id: 'deployment-502-status-9020',
        environment: 'production',
        status: 'failed',
        changes: [{ changeId: 'pr-7', committedAt: '2024-03-12T08:00:00.000Z' }],
      },
      {
        id: 'deployment-503-status-9031',
        environment: 'production',
        status: 'success',
        changes: [
          { changeId: 'x1', committedAt: '2024-03-11T09:00:00.000Z' },
          { changeId: 'x2', committedAt: '2024-03-16T09:00:00.000Z' },
        ],
      },
      { id: 'deployment-504-status-9040', environment: 'staging', status: 'success', changes: null },
    ]);
    // Compared only where the payload listed nothing and the environment is production.
    expect(forge.requests.filter((r) => r.includes(`${api}/compare/`)).map((r) => r.split('?')[0])).toEqual([
      `${api}/compare/c1...c3`,
      `${api}/compare/c0...c1`,
    ]);
  });
});
