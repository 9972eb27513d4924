import { describe, expect, it } from 'vitest';
import { mapGitlab } from './gitlab.mapping.js';
import { GitlabSource } from './sources.section.js';
import { eventsOf, fixture, ignoredOf } from './testing.js';

const config = GitlabSource.parse({
  tokenEnv: 'SHEWHART_GITLAB_TOKEN',
  projects: { 'acme/mobile-app': { team: 'mobile' } },
  severityLabels: { 'sev:major': 'major', 'sev:minor': 'minor' },
});
const ctx = { config, defaultTeam: 'unassigned' };
const map = (name: string, c: Parameters<typeof mapGitlab>[1] = ctx) =>
  mapGitlab({ payload: fixture(name) }, c);

describe('GitLab hooks', () => {
  it('an issue labelled bug opened is a defect.reported; GitLab times become RFC 3339', () => {
    const [e] = eventsOf(map('gitlab-issue-open'));
    expect(e).toMatchObject({
      id: 'issue-151033221-opened',
      source: 'gitlab/acme/mobile-app',
      type: 'defect.reported',
      time: '2024-03-04T08:31:10.000Z',
      team: 'mobile',
      data: { defectId: 'acme/mobile-app#88', severity: 'major', detectionActivity: 'production' },
    });
  });

  it('closing it resolves it', () => {
    const [e] = eventsOf(map('gitlab-issue-close'));
    expect(e).toMatchObject({
      id: 'issue-151033221-closed-2024-03-06T17:45:00.000Z',
      type: 'defect.resolved',
      data: { defectId: 'acme/mobile-app#88', resolution: 'fixed' },
    });
  });

  it('a label change is a re-triage; an update without label changes is ignored', () => {
    const p = fixture('gitlab-issue-open');
    const a = p.object_attributes as Record<string, unknown>;
    a.action = 'update';
    a.updated_at = '2024-03-05 10:00:00 UTC';
    p.changes = {
      labels: { previous: [{ title: 'bug' }], current: [{ title: 'bug' }, { title: 'sev:minor' }] },
    };
    const [e] = eventsOf(mapGitlab({ payload: p }, ctx));
    expect(e).toMatchObject({
      type: 'defect.reported',
      id: 'issue-151033221-triaged-2024-03-05T10:00:00.000Z',
      data: { severity: 'minor' },
    });
    p.changes = { title: { previous: 'a', current: 'b' } };
    expect(ignoredOf(mapGitlab({ payload: p }, ctx))).toContain('no label');
  });

  it('a merged merge request is a code review when its size is known (the hook does not carry it)', () => {
    expect(ignoredOf(map('gitlab-merge_request-merge'))).toContain('apiTokenEnv');
    const [e] = eventsOf(
      map('gitlab-merge_request-merge', {
        ...ctx,
        lookups: { mergeRequest: { additions: 90, deletions: 10, userNotesCount: 4 } },
      }),
    );
    expect(e).toMatchObject({
      id: 'mr-290017744-merged',
      type: 'review.completed',
      data: {
        reviewId: 'acme/mobile-app!312',
        sizeReviewed: 100,
        defectsFound: 0,
        durationHours: 30,
        outcome: 'approved',
      },
    });
  });

  it('a successful deployment to the production tier; offsets become UTC', () => {
    const [e] = eventsOf(map('gitlab-deployment-success'));
    expect(e).toMatchObject({
      id: 'deployment-801234-success',
      type: 'delivery.deployment',
      time: '2024-03-06T17:02:11.000Z',
      data: {
        deploymentId: 'acme/mobile-app/deployments/801234',
        environment: 'production',
        status: 'success',
      },
    });
    const p = fixture('gitlab-deployment-success');
    p.status = 'running';
    expect(ignoredOf(mapGitlab({ payload: p }, ctx))).toContain('not a finished');
  });

  it('a release takes its planned end from its milestone due date (end of that day)', () => {
    const [e] = eventsOf(map('gitlab-release-create'));
    expect(e).toMatchObject({
      id: 'release-v5.2.0',
      type: 'delivery.release',
      time: '2024-03-29T10:00:00.000Z',
      data: { releaseId: 'v5.2.0', plannedEnd: '2024-03-27T23:59:59.000Z', milestone: '5.2' },
    });
  });

  it('an unmapped project goes to the default team, flagged', () => {
    const p = fixture('gitlab-issue-open');
    (p.project as Record<string, unknown>).path_with_namespace = 'acme/other';
    const r = mapGitlab({ payload: p }, ctx);
    expect(r.unmapped).toBe('gitlab/acme/other');
    expect(eventsOf(r)[0]?.team).toBe('unassigned');
    expect(
      ignoredOf(
        mapGitlab({ payload: { object_kind: 'pipeline', project: { path_with_namespace: 'a/b' } } }, ctx),
      ),
    ).toContain('not mapped');
  });
});
