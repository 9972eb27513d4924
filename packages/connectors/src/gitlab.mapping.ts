import { defectEvent, type IssueChange, issueOutcome } from './labels.js';
import {
  endOfDay,
  envelope,
  globMatch,
  hoursBetween,
  ignored,
  isRecord,
  type Mapped,
  num,
  type Scope,
  scopeOf,
  str,
  timestamp,
} from './mapping.js';
import type { GitlabSource } from './sources.section.js';

/** A GitLab webhook delivery: the `X-Gitlab-Event` header (`Issue Hook`, …) and the parsed body. */
export interface GitlabDelivery {
  event?: string;
  payload: unknown;
}

/** Facts hooks do not carry, read from the REST API (a token configured, or backfill). */
export interface GitlabLookups {
  /** Lines added and removed by a merge request, and its comments. */
  mergeRequest?: { additions: number; deletions: number; userNotesCount?: number };
}

export interface GitlabContext {
  config: GitlabSource;
  defaultTeam: string;
  lookups?: GitlabLookups;
}

const titles = (labels: unknown): string[] =>
  Array.isArray(labels)
    ? labels.map((l) => (isRecord(l) ? str(l.title) : str(l))).filter((l): l is string => !!l)
    : [];

/**
 * GitLab webhook payloads as contract events; `object_kind` says what the body is. Ids derive from
 * GitLab's object ids and the transition (state and its time), never from the delivery.
 */
export function mapGitlab(delivery: GitlabDelivery, ctx: GitlabContext): Mapped {
  const p = delivery.payload;
  if (!isRecord(p)) return ignored('the body is not a JSON object');
  const kind = str(p.object_kind);
  if (!kind) return ignored('payload without object_kind');
  if ((ctx.config.ignore as readonly string[]).includes(kind))
    return ignored(`"${kind}" events are ignored by configuration`);
  const project = isRecord(p.project) ? str(p.project.path_with_namespace) : undefined;
  if (!project) return ignored(`"${kind}" payload without project.path_with_namespace`);
  const scope = scopeOf(ctx.config.projects, project, ctx.defaultTeam);
  const source = `gitlab/${project}`;
  const result = (() => {
    switch (kind) {
      case 'issue':
      case 'work_item':
        return issue(p, project, source, scope, ctx);
      case 'merge_request':
        return mergeRequest(p, project, source, scope, ctx);
      case 'deployment':
        return deployment(p, project, source, scope, ctx);
      case 'release':
        return release(p, source, scope);
      default:
        return ignored(`"${kind}" events are not mapped`);
    }
  })();
  return scope.mapped ? result : { ...result, unmapped: source };
}

function issue(
  p: Record<string, unknown>,
  project: string,
  source: string,
  scope: Scope,
  ctx: GitlabContext,
): Mapped {
  const a = p.object_attributes;
  if (!isRecord(a)) return ignored('issue payload without object_attributes');
  const id = str(a.id);
  const iid = str(a.iid);
  if (!id || !iid) return ignored('issue without id or iid');
  const labels = titles(a.labels ?? p.labels);
  const action = str(a.action);
  const labelChange = isRecord(p.changes) && isRecord(p.changes.labels) ? p.changes.labels : undefined;
  let change: IssueChange;
  switch (action) {
    case 'open':
      change = { kind: 'opened', labels };
      break;
    case 'update':
      if (!labelChange) return ignored('the issue update changes no label');
      change = {
        kind: 'relabeled',
        before: titles(labelChange.previous),
        after: titles(labelChange.current),
      };
      break;
    case 'close':
      change = { kind: 'closed', labels };
      break;
    case 'reopen':
      change = { kind: 'reopened', labels };
      break;
    default:
      return ignored(`issue action "${action}" changes nothing measured`);
  }
  const outcome = issueOutcome(ctx.config, change);
  if ('ignored' in outcome) return outcome;
  const defectId = `${project}#${iid}`;
  const created = timestamp(a.created_at);
  const updated = timestamp(a.updated_at) ?? created;
  if (!created || !updated) return ignored('issue without created_at');
  const event = defectEvent(outcome, {
    source,
    scope,
    issueId: id,
    defectId,
    created,
    updated,
    closed: timestamp(a.closed_at),
  });
  return { events: [event] };
}

function mergeRequest(
  p: Record<string, unknown>,
  project: string,
  source: string,
  scope: Scope,
  ctx: GitlabContext,
): Mapped {
  const a = p.object_attributes;
  if (!isRecord(a)) return ignored('merge_request payload without object_attributes');
  const action = str(a.action);
  if (action !== 'merge' && action !== 'close') {
    return ignored(`merge request action "${action}": the review is recorded when it is merged or closed`);
  }
  const id = str(a.id);
  const iid = str(a.iid);
  const merged = action === 'merge';
  const ended = timestamp(merged ? (a.merged_at ?? a.updated_at) : (a.closed_at ?? a.updated_at));
  if (!id || !iid || !ended) return ignored('merge request without id, iid or time');
  const size = ctx.lookups?.mergeRequest;
  if (!size) {
    return ignored(
      'a merge request hook carries no size: set sources.gitlab.apiTokenEnv so its diff can be read',
    );
  }
  const workProductId = `${project}!${iid}`;
  const notes = size.userNotesCount ?? num(a.user_notes_count) ?? 0;
  return {
    events: [
      {
        ...envelope(source, scope, `mr-${id}-${merged ? 'merged' : 'closed'}`, ended),
        type: 'review.completed',
        data: {
          reviewId: workProductId,
          workProductType: 'code',
          workProductId,
          sizeReviewed: size.additions + size.deletions,
          sizeUnit: 'loc',
          defectsFound: ctx.config.reviewCommentsAsDefects ? notes : 0,
          durationHours: hoursBetween(timestamp(a.created_at), ended),
          outcome: merged ? 'approved' : 'rejected',
          reviewComments: notes,
          merged,
        },
      },
    ],
  };
}

function deployment(
  p: Record<string, unknown>,
  project: string,
  source: string,
  scope: Scope,
  ctx: GitlabContext,
): Mapped {
  const status = str(p.status);
  const outcome =
    status === 'success'
      ? 'success'
      : status === 'failed'
        ? 'failed'
        : status === 'canceled'
          ? 'cancelled'
          : undefined;
  if (!outcome) return ignored(`deployment status "${status}" is not a finished deployment`);
  const id = str(p.deployment_id);
  const env = str(p.environment);
  const time = timestamp(p.status_changed_at);
  if (!id || !env || !time)
    return ignored('deployment without deployment_id, environment or status_changed_at');
  // GitLab knows production environments by their tier; the configured names count too.
  const production =
    str(p.environment_tier) === 'production' ||
    ctx.config.productionEnvironments.some((g) => globMatch(g, env));
  return {
    events: [
      {
        ...envelope(source, scope, `deployment-${id}-${status}`, time),
        type: 'delivery.deployment',
        data: {
          deploymentId: `${project}/deployments/${id}`,
          environment: production ? 'production' : env,
          status: outcome,
          ...(str(p.short_sha) ? { sha: str(p.short_sha) } : {}),
          ...(production && env !== 'production' ? { toolEnvironment: env } : {}),
        },
      },
    ],
  };
}

function release(p: Record<string, unknown>, source: string, scope: Scope): Mapped {
  const action = str(p.action);
  if (action !== 'create') return ignored(`release action "${action}" ships nothing`);
  const id = str(p.id);
  const tag = str(p.tag);
  const time = timestamp(p.released_at) ?? timestamp(p.created_at);
  if (!id || !tag || !time) return ignored('release without id, tag or released_at');
  const milestones = Array.isArray(p.milestones) ? p.milestones.filter(isRecord) : [];
  // The release's milestone with the latest due date: a release closing several milestones is due at the last.
  const due = milestones
    .map((m) => ({ title: str(m.title), due: endOfDay(m.due_date) }))
    .filter((m): m is { title: string; due: string } => !!m.title && !!m.due)
    .sort((x, y) => y.due.localeCompare(x.due))[0];
  if (!due) return ignored('a release without a milestone with a due date has no planned end');
  return {
    events: [
      {
        ...envelope(source, scope, `release-${tag}`, time),
        type: 'delivery.release',
        data: { releaseId: tag, plannedEnd: due.due, milestone: due.title },
      },
    ],
  };
}
