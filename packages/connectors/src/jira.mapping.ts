import type { Resolution as ResolutionSchema, ShewhartEventInput } from '@shewhart/events';
import type { z } from 'zod';
import { envelope, ignored, isRecord, type Mapped, type Scope, scopeOf, str, timestamp } from './mapping.js';
import type { JiraSource } from './sources.section.js';

export interface JiraContext {
  config: JiraSource;
  defaultTeam: string;
}

/** The text values of a Jira field: `priority` ({name}), selects ({value}), labels, components, text. */
function fieldValues(fields: Record<string, unknown>, field: string): string[] {
  const v = fields[field];
  const one = (x: unknown): string | undefined =>
    isRecord(x) ? (str(x.value) ?? str(x.name) ?? str(x.key)) : typeof x === 'string' ? x : undefined;
  if (Array.isArray(v)) return v.map(one).filter((x): x is string => !!x);
  const s = one(v);
  return s ? [s] : [];
}

function mapped<T>(
  fields: Record<string, unknown>,
  map: { field: string; values: Record<string, T> } | undefined,
) {
  if (!map) return undefined;
  for (const value of fieldValues(fields, map.field)) {
    const hit =
      map.values[value] ??
      Object.entries(map.values).find(([k]) => k.toLowerCase() === value.toLowerCase())?.[1];
    if (hit !== undefined) return hit;
  }
  return undefined;
}

const RESOLUTIONS: Record<string, Resolution> = {
  duplicate: 'duplicate',
  "won't fix": 'wont_fix',
  "won't do": 'wont_fix',
  'cannot reproduce': 'cannot_reproduce',
  'not a bug': 'not_a_defect',
  invalid: 'not_a_defect',
  declined: 'wont_fix',
};
type Resolution = z.output<typeof ResolutionSchema>;

/**
 * Jira webhook payloads (`jira:issue_created`, `jira:issue_updated`, `jira:issue_deleted`) for the
 * configured issue types as defects. A resolution set is `defect.resolved`, a resolution cleared is
 * `defect.reopened`, a change of a mapped field (severity, phase, activity, root cause) is a re-triage.
 * Ids derive from the issue id and the changelog id of the change.
 */
export function mapJira(payload: unknown, ctx: JiraContext): Mapped {
  if (!isRecord(payload)) return ignored('the body is not a JSON object');
  const event = str(payload.webhookEvent);
  const issue = payload.issue;
  if (!event || !isRecord(issue) || !isRecord(issue.fields)) return ignored('not a Jira issue event');
  const fields = issue.fields;
  const id = str(issue.id);
  const key = str(issue.key);
  const project = isRecord(fields.project) ? str(fields.project.key) : key?.split('-')[0];
  if (!id || !key || !project) return ignored('issue without id, key or project');
  const scope = scopeOf(ctx.config.projects, project, ctx.defaultTeam);
  const source = `jira/${project}`;
  const result = issueEvent(payload, event, fields, id, key, source, scope, ctx);
  return scope.mapped ? result : { ...result, unmapped: source };
}

function issueEvent(
  payload: Record<string, unknown>,
  event: string,
  fields: Record<string, unknown>,
  id: string,
  defectId: string,
  source: string,
  scope: Scope,
  ctx: JiraContext,
): Mapped {
  const { config } = ctx;
  const typeName = isRecord(fields.issuetype) ? str(fields.issuetype.name) : undefined;
  const isDefectType = (t: string | undefined) =>
    !!t && config.defectIssueTypes.some((d) => d.toLowerCase() === t.toLowerCase());
  const items =
    isRecord(payload.changelog) && Array.isArray(payload.changelog.items)
      ? payload.changelog.items.filter(isRecord)
      : [];
  const changelogId = isRecord(payload.changelog) ? str(payload.changelog.id) : undefined;
  const changed = (field: string) =>
    items.find(
      (i) =>
        str(i.fieldId)?.toLowerCase() === field.toLowerCase() ||
        str(i.field)?.toLowerCase() === field.toLowerCase(),
    );
  const typeChange = changed('issuetype');
  const wasDefect = typeChange ? isDefectType(str(typeChange.fromString)) : isDefectType(typeName);
  if (!isDefectType(typeName) && !wasDefect) {
    return ignored(`issue type "${typeName}" is not a defect type (${config.defectIssueTypes.join(', ')})`);
  }
  const created = timestamp(fields.created);
  const updated = timestamp(fields.updated) ?? timestamp(payload.timestamp) ?? created;
  if (!created || !updated) return ignored('issue without created time');
  const rootCause = config.rootCauseField ? fieldValues(fields, config.rootCauseField)[0] : undefined;
  const component = fieldValues(fields, 'components')[0];
  const reported = (eventId: string, time: string): ShewhartEventInput => ({
    ...envelope(source, scope, eventId, time),
    type: 'defect.reported',
    data: {
      defectId,
      severity: mapped(fields, config.severity) ?? config.defaultSeverity,
      detectionActivity: mapped(fields, config.activity) ?? config.defaultActivity,
      introducedPhase: mapped(fields, config.phase) ?? 'unknown',
      ...(component ? { component } : {}),
      ...(rootCause ? { rootCauseCategory: rootCause } : {}),
    },
  });
  const resolutionOf = (name: string | undefined): Resolution => {
    if (!name) return 'fixed';
    const configured =
      config.resolutions[name] ??
      Object.entries(config.resolutions).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    return configured ?? RESOLUTIONS[name.toLowerCase()] ?? 'fixed';
  };

  if (event === 'jira:issue_created') return { events: [reported(`issue-${id}-created`, created)] };
  if (event === 'jira:issue_deleted') {
    return {
      events: [
        {
          ...envelope(source, scope, `issue-${id}-deleted`, timestamp(payload.timestamp) ?? updated),
          type: 'defect.resolved',
          data: { defectId, resolution: 'not_a_defect' },
        },
      ],
    };
  }
  if (event !== 'jira:issue_updated') return ignored(`"${event}" events are not mapped`);
  if (!changelogId || items.length === 0)
    return ignored('an update without a changelog changes nothing measured');
  const base = `issue-${id}-changelog-${changelogId}`;
  // The type changed away from a defect type: it was not a defect after all.
  if (wasDefect && !isDefectType(typeName)) {
    return {
      events: [
        {
          ...envelope(source, scope, `${base}-untyped`, updated),
          type: 'defect.resolved',
          data: { defectId, resolution: 'not_a_defect' },
        },
      ],
    };
  }
  const events: ShewhartEventInput[] = [];
  const triageFields = [
    config.severity.field,
    config.phase?.field,
    config.activity?.field,
    config.rootCauseField,
    'issuetype',
  ];
  if (triageFields.some((f) => f && changed(f))) events.push(reported(`${base}-triaged`, updated));
  const resolution = changed('resolution');
  if (resolution) {
    const to = str(resolution.toString) ?? str(resolution.to);
    if (to) {
      events.push({
        ...envelope(source, scope, `${base}-resolved`, timestamp(fields.resolutiondate) ?? updated),
        type: 'defect.resolved',
        data: {
          defectId,
          resolution: resolutionOf(to),
          ...(rootCause ? { rootCauseCategory: rootCause } : {}),
        },
      });
    } else {
      events.push({
        ...envelope(source, scope, `${base}-reopened`, updated),
        type: 'defect.reopened',
        data: { defectId },
      });
    }
  }
  return events.length > 0 ? { events } : ignored('the update changes no mapped field and no resolution');
}
