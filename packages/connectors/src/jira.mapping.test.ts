import { describe, expect, it } from 'vitest';
import { mapJira } from './jira.mapping.js';
import { JiraSource } from './sources.section.js';
import { eventsOf, fixture, ignoredOf } from './testing.js';

const config = JiraSource.parse({
  secretEnv: 'SHEWHART_JIRA_SECRET',
  projects: { PAY: { team: 'payments' } },
  defectIssueTypes: ['Bug'],
  phase: {
    field: 'customfield_10050',
    values: { Requirements: 'requirements', Design: 'design', Code: 'code' },
  },
  activity: {
    field: 'customfield_10051',
    values: { 'System test': 'system_test', Production: 'production' },
  },
  rootCauseField: 'customfield_10052',
  resolutions: { Done: 'fixed' },
});
const ctx = { config, defaultTeam: 'unassigned' };

describe('Jira issues', () => {
  it('a Bug created is a defect.reported with severity from priority and phase/activity from custom fields', () => {
    const [e] = eventsOf(mapJira(fixture('jira-issue_created'), ctx));
    expect(e).toMatchObject({
      id: 'issue-10231-created',
      source: 'jira/PAY',
      type: 'defect.reported',
      time: '2024-03-07T09:00:00.000Z',
      team: 'payments',
      data: {
        defectId: 'PAY-77',
        severity: 'major',
        introducedPhase: 'code',
        detectionActivity: 'system_test',
        component: 'refunds',
      },
    });
  });

  it('a resolution set is defect.resolved with the root cause; the root-cause change re-triages', () => {
    const events = eventsOf(mapJira(fixture('jira-issue_updated-resolved'), ctx));
    expect(events.map((e) => [e.id, e.type])).toEqual([
      ['issue-10231-changelog-10554-triaged', 'defect.reported'],
      ['issue-10231-changelog-10554-resolved', 'defect.resolved'],
    ]);
    expect(events[1]).toMatchObject({
      time: '2024-03-09T16:00:00.000Z',
      data: { defectId: 'PAY-77', resolution: 'fixed', rootCauseCategory: 'missing validation' },
    });
  });

  it("Won't Fix and Duplicate resolutions; a cleared resolution reopens", () => {
    const p = fixture('jira-issue_updated-resolved');
    const items = (p.changelog as { items: Record<string, unknown>[] }).items;
    items.splice(1);
    Object.assign(items[0] as object, { toString: 'Duplicate' });
    expect(eventsOf(mapJira(p, ctx))[0]?.data.resolution).toBe('duplicate');
    Object.assign(items[0] as object, { toString: "Won't Fix" });
    expect(eventsOf(mapJira(p, ctx))[0]?.data.resolution).toBe('wont_fix');
    Object.assign(items[0] as object, { fromString: 'Done', toString: null, to: null });
    expect(eventsOf(mapJira(p, ctx))[0]).toMatchObject({
      type: 'defect.reopened',
      id: 'issue-10231-changelog-10554-reopened',
    });
  });

  it('other issue types are ignored; a Bug retyped as a Story is not a defect', () => {
    const story = fixture('jira-issue_created');
    ((story.issue as { fields: Record<string, unknown> }).fields.issuetype as Record<string, unknown>).name =
      'Story';
    expect(ignoredOf(mapJira(story, ctx))).toContain('not a defect type');
    const retyped = fixture('jira-issue_updated-resolved');
    (
      (retyped.issue as { fields: Record<string, unknown> }).fields.issuetype as Record<string, unknown>
    ).name = 'Story';
    retyped.changelog = {
      id: '10600',
      items: [{ field: 'issuetype', fieldId: 'issuetype', fromString: 'Bug', toString: 'Story' }],
    };
    expect(eventsOf(mapJira(retyped, ctx))[0]).toMatchObject({
      type: 'defect.resolved',
      data: { resolution: 'not_a_defect' },
    });
  });

  it('an update of an unmapped field is ignored; an unknown project goes to the default team', () => {
    const p = fixture('jira-issue_updated-resolved');
    p.changelog = {
      id: '10700',
      items: [{ field: 'summary', fieldId: 'summary', fromString: 'a', toString: 'b' }],
    };
    expect(ignoredOf(mapJira(p, ctx))).toContain('no mapped field');
    const q = fixture('jira-issue_created');
    ((q.issue as { fields: Record<string, unknown> }).fields.project as Record<string, unknown>).key = 'OPS';
    const r = mapJira(q, ctx);
    expect(r.unmapped).toBe('jira/OPS');
    expect(eventsOf(r)[0]?.team).toBe('unassigned');
  });
});
