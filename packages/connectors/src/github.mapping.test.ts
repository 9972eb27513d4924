import { describe, expect, it } from 'vitest';
import { mapGithub } from './github.mapping.js';
import { GithubSource } from './sources.section.js';
import { eventsOf, fixture, ignoredOf } from './testing.js';

const config = GithubSource.parse({
  secretEnv: 'SHEWHART_GITHUB_SECRET',
  repositories: { 'acme/payments-api': { team: 'payments', project: 'api' } },
  productionEnvironments: ['production', 'prod-*'],
  defectLabels: ['bug'],
  severityLabels: { 'sev:critical': 'critical', 'sev:major': 'major', 'sev:minor': 'minor' },
  activityLabels: { 'found-in:system-test': 'system_test' },
  reviewCommentsAsDefects: true,
});
const ctx = { config, defaultTeam: 'unassigned' };
const map = (event: string, name: string, c = ctx) => mapGithub({ event, payload: fixture(name) }, c);

describe('GitHub issues', () => {
  it('a labelled bug opened is a defect.reported of the repository team, severity from its label', () => {
    const [e] = eventsOf(map('issues', 'github-issues-opened'));
    expect(e).toMatchObject({
      id: 'issue-2154318842-opened',
      source: 'github/acme/payments-api',
      type: 'defect.reported',
      time: '2024-03-05T09:14:22.000Z',
      team: 'payments',
      project: 'api',
      data: { defectId: 'acme/payments-api#42', severity: 'critical', detectionActivity: 'production' },
    });
  });

  it('closing it resolves it (state_reason completed → fixed), with an id of the close', () => {
    const [e] = eventsOf(map('issues', 'github-issues-closed'));
    expect(e).toMatchObject({
      id: 'issue-2154318842-closed-2024-03-07T16:02:10.000Z',
      type: 'defect.resolved',
      time: '2024-03-07T16:02:10.000Z',
      data: { defectId: 'acme/payments-api#42', resolution: 'fixed' },
    });
    const notPlanned = fixture('github-issues-closed');
    (notPlanned.issue as Record<string, unknown>).state_reason = 'not_planned';
    const [w] = eventsOf(mapGithub({ event: 'issues', payload: notPlanned }, ctx));
    expect(w?.data.resolution).toBe('wont_fix');
  });

  it('labelling an issue a bug is a (re-)triage; removing the bug label resolves it as not a defect', () => {
    const [e] = eventsOf(map('issues', 'github-issues-labeled'));
    expect(e).toMatchObject({
      id: 'issue-2154400001-triaged-2024-03-06T11:20:41.000Z',
      type: 'defect.reported',
      data: { defectId: 'acme/payments-api#43', severity: 'minor', detectionActivity: 'system_test' },
    });
    const un = fixture('github-issues-labeled');
    un.action = 'unlabeled';
    (un.issue as { labels: unknown[] }).labels = [{ name: 'sev:minor' }];
    const [r] = eventsOf(mapGithub({ event: 'issues', payload: un }, ctx));
    expect(r).toMatchObject({ type: 'defect.resolved', data: { resolution: 'not_a_defect' } });
  });

  it('issues without a defect label, and edits, are ignored with a reason', () => {
    const p = fixture('github-issues-opened');
    (p.issue as { labels: unknown[] }).labels = [{ name: 'enhancement' }];
    expect(ignoredOf(mapGithub({ event: 'issues', payload: p }, ctx))).toContain('not a defect');
    expect(
      ignoredOf(
        mapGithub(
          { event: 'issues', payload: { ...fixture('github-issues-opened'), action: 'edited' } },
          ctx,
        ),
      ),
    ).toContain('edited');
  });

  it('the same fact delivered twice maps to the same event id (idempotent)', () => {
    expect(map('issues', 'github-issues-opened')).toEqual(map('issues', 'github-issues-opened'));
  });
});

describe('GitHub pull requests', () => {
  it('a merged pull request is a completed code review: size, duration, review comments as defects', () => {
    const [e] = eventsOf(map('pull_request', 'github-pull_request-closed'));
    expect(e).toMatchObject({
      id: 'pr-1790412233-closed-2024-03-07T14:30:00.000Z',
      type: 'review.completed',
      time: '2024-03-07T14:30:00.000Z',
      team: 'payments',
      data: {
        reviewId: 'acme/payments-api#118',
        workProductType: 'code',
        sizeReviewed: 222,
        sizeUnit: 'loc',
        defectsFound: 5,
        durationHours: 30.5,
        outcome: 'approved',
      },
    });
  });

  it('reviews read from the API give participants and a changes-requested outcome', () => {
    const reviews = [
      { user: { login: 'lead-bo' }, state: 'CHANGES_REQUESTED' },
      { user: { login: 'lead-bo' }, state: 'APPROVED' },
      { user: { login: 'dev-cy' }, state: 'COMMENTED' },
    ];
    const [e] = eventsOf(
      map('pull_request', 'github-pull_request-closed', { ...ctx, lookups: { reviews } } as never),
    );
    expect(e?.data).toMatchObject({ participants: 2, outcome: 'changes_requested' });
  });

  it('closed without merging: rejected; comments are not defects unless configured', () => {
    const p = fixture('github-pull_request-closed');
    Object.assign(p.pull_request as object, { merged: false, merged_at: null });
    const [e] = eventsOf(
      mapGithub(
        { event: 'pull_request', payload: p },
        { ...ctx, config: { ...config, reviewCommentsAsDefects: false } },
      ),
    );
    expect(e?.data).toMatchObject({ outcome: 'rejected', defectsFound: 0 });
  });

  it('opened pull requests and review rounds are ignored with a reason', () => {
    expect(
      ignoredOf(
        mapGithub(
          { event: 'pull_request', payload: { ...fixture('github-pull_request-closed'), action: 'opened' } },
          ctx,
        ),
      ),
    ).toContain('merged or closed');
    expect(ignoredOf(map('pull_request_review', 'github-pull_request_review-submitted'))).toContain(
      'review round',
    );
  });
});

describe('GitHub deployments, releases, milestones', () => {
  it('a successful deployment to an environment matching prod-* is a production deployment with its changes', () => {
    const [e] = eventsOf(map('deployment_status', 'github-deployment_status-success'));
    expect(e).toMatchObject({
      id: 'deployment-1433221100-status-3377889900',
      type: 'delivery.deployment',
      time: '2024-03-07T15:10:44.000Z',
      data: {
        deploymentId: 'acme/payments-api/deployments/1433221100',
        environment: 'production',
        toolEnvironment: 'prod-eu',
        status: 'success',
        changes: [{ changeId: 'acme/payments-api#118', committedAt: '2024-03-06T07:41:09.000Z' }],
      },
    });
  });

  it('staging keeps its name; error is a failed deployment; pending is ignored', () => {
    const p = fixture('github-deployment_status-success');
    const s = p.deployment_status as Record<string, unknown>;
    s.environment = 'staging';
    s.state = 'error';
    const [e] = eventsOf(mapGithub({ event: 'deployment_status', payload: p }, ctx));
    expect(e?.data).toMatchObject({ environment: 'staging', status: 'failed' });
    s.state = 'in_progress';
    expect(ignoredOf(mapGithub({ event: 'deployment_status', payload: p }, ctx))).toContain('not a finished');
  });

  it('a published release takes its planned end from the milestone of the same title', () => {
    const milestones = [
      { title: 'v2.3.0', due_on: '2024-02-29T08:00:00Z' },
      { title: 'v2.4.0', due_on: '2024-03-31T07:00:00Z' },
    ];
    const [e] = eventsOf(
      map('release', 'github-release-published', { ...ctx, lookups: { milestones } } as never),
    );
    expect(e).toMatchObject({
      id: 'release-148800001-published',
      type: 'delivery.release',
      time: '2024-04-02T10:30:00.000Z',
      data: { releaseId: 'v2.4.0', plannedEnd: '2024-03-31T07:00:00.000Z', tag: 'v2.4.0' },
    });
    expect(ignoredOf(map('release', 'github-release-published'))).toContain('apiTokenEnv');
    expect(
      ignoredOf(map('release', 'github-release-published', { ...ctx, lookups: { milestones: [] } } as never)),
    ).toContain('no milestone');
  });

  it('a milestone with a due date is a release plan', () => {
    const [e] = eventsOf(map('milestone', 'github-milestone-created'));
    expect(e).toMatchObject({
      type: 'delivery.release.planned',
      time: '2024-02-01T12:00:00.000Z',
      data: { releaseId: 'v2.4.0', plannedEnd: '2024-03-31T07:00:00.000Z' },
    });
  });
});

describe('GitHub sources and teams', () => {
  it('an unmapped repository goes to the default team and is reported as unmapped', () => {
    const p = fixture('github-issues-opened');
    (p.repository as Record<string, unknown>).full_name = 'acme/unknown-repo';
    const r = mapGithub({ event: 'issues', payload: p }, ctx);
    expect(r.unmapped).toBe('github/acme/unknown-repo');
    expect(eventsOf(r)[0]?.team).toBe('unassigned');
  });

  it('repository names match whatever their case; configured event kinds are ignored', () => {
    const p = fixture('github-issues-opened');
    (p.repository as Record<string, unknown>).full_name = 'ACME/Payments-API';
    expect(eventsOf(mapGithub({ event: 'issues', payload: p }, ctx))[0]?.team).toBe('payments');
    const c = { ...ctx, config: { ...config, ignore: ['issues' as const] } };
    expect(ignoredOf(mapGithub({ event: 'issues', payload: p }, c))).toContain('ignored by configuration');
  });

  it('payloads it does not understand are ignored, never thrown', () => {
    for (const payload of [
      null,
      'x',
      [],
      {},
      { repository: {} },
      { repository: { full_name: 'a/b' }, issue: 'x', action: 'opened' },
    ]) {
      expect(ignoredOf(mapGithub({ event: 'issues', payload }, ctx))).toBeTruthy();
    }
    expect(ignoredOf(map('ping', 'github-ping'))).toBe('ping');
    expect(ignoredOf(map('watch', 'github-ping'))).toContain('not mapped');
  });
});
