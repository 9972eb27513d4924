import type { ShewhartEventInput } from '@shewhart/events';
import { defectEvent, type IssueChange, issueOutcome } from './labels.js';
import {
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
import type { GithubSource } from './sources.section.js';

/** A GitHub webhook delivery as the route sees it: the `X-GitHub-Event` header and the parsed body. */
export interface GithubDelivery {
  event: string;
  payload: unknown;
}

/** Facts a payload does not carry, read from the REST API when a token is configured (or by backfill). */
export interface GithubLookups {
  /** The repository's milestones: a release's planned end is its milestone's due date. */
  milestones?: { title: string; due_on: string | null }[];
  /** The reviews of a pull request: participants and outcome of its review. */
  reviews?: { user?: { login?: string } | null; state: string; submitted_at?: string | null }[];
  /** The first commit time of each change a deployment shipped. */
  changes?: { changeId: string; committedAt: string }[];
}

export interface GithubContext {
  config: GithubSource;
  defaultTeam: string;
  lookups?: GithubLookups;
}

const labelNames = (labels: unknown): string[] =>
  Array.isArray(labels)
    ? labels.map((l) => (isRecord(l) ? str(l.name) : str(l))).filter((l): l is string => !!l)
    : [];

/**
 * GitHub webhook payloads (and REST objects shaped like them, from backfill) as contract events. Event ids
 * derive from GitHub's object ids and the time of the transition, never from the delivery GUID: a
 * redelivery, or the same fact read back by backfill, has the same id and is stored once.
 */
export function mapGithub(delivery: GithubDelivery, ctx: GithubContext): Mapped {
  const { event, payload } = delivery;
  if (!isRecord(payload)) return ignored('the body is not a JSON object');
  if (event === 'ping') return ignored('ping');
  if ((ctx.config.ignore as readonly string[]).includes(event))
    return ignored(`"${event}" events are ignored by configuration`);
  const repo = isRecord(payload.repository) ? str(payload.repository.full_name) : undefined;
  if (!repo) return ignored(`"${event}" payload without repository.full_name`);
  const scope = scopeOf(ctx.config.repositories, repo, ctx.defaultTeam);
  const source = `github/${repo}`;
  const mapped = (events: ShewhartEventInput[]): Mapped => ({
    events,
    ...(scope.mapped ? {} : { unmapped: source }),
  });
  const result = (() => {
    switch (event) {
      case 'issues':
        return issues(payload, repo, source, scope, ctx);
      case 'pull_request':
        return pullRequest(payload, repo, source, scope, ctx);
      case 'pull_request_review':
        return ignored(
          'a review round: the review is recorded as review.completed when the pull request is merged or closed',
        );
      case 'deployment_status':
        return deploymentStatus(payload, repo, source, scope, ctx);
      case 'release':
        return release(payload, source, scope, ctx);
      case 'milestone':
        return milestone(payload, source, scope);
      default:
        return ignored(`"${event}" events are not mapped`);
    }
  })();
  if ('ignored' in result) return scope.mapped ? result : { ...result, unmapped: source };
  return mapped(result.events);
}

function issues(
  p: Record<string, unknown>,
  repo: string,
  source: string,
  scope: Scope,
  ctx: GithubContext,
): Mapped {
  const issue = p.issue;
  if (!isRecord(issue)) return ignored('issues payload without issue');
  if (issue.pull_request !== undefined) return ignored('a pull request, not an issue');
  const id = str(issue.id);
  const number = str(issue.number);
  if (!id || !number) return ignored('issue without id or number');
  const labels = labelNames(issue.labels);
  const action = str(p.action);
  const changed = isRecord(p.label) ? str(p.label.name) : undefined;
  let change: IssueChange;
  switch (action) {
    case 'opened':
      change = { kind: 'opened', labels };
      break;
    case 'labeled':
      change = { kind: 'relabeled', before: labels.filter((l) => l !== changed), after: labels };
      break;
    case 'unlabeled':
      change = { kind: 'relabeled', before: changed ? [...labels, changed] : labels, after: labels };
      break;
    case 'closed': {
      const reason = str(issue.state_reason);
      change = {
        kind: 'closed',
        labels,
        ...(reason === 'not_planned' ? { resolution: 'wont_fix' as const } : {}),
        ...(reason === 'duplicate' ? { resolution: 'duplicate' as const } : {}),
      };
      break;
    }
    case 'reopened':
      change = { kind: 'reopened', labels };
      break;
    default:
      return ignored(`issues action "${action}" changes nothing measured`);
  }
  const outcome = issueOutcome(ctx.config, change);
  if ('ignored' in outcome) return outcome;
  const defectId = `${repo}#${number}`;
  const created = timestamp(issue.created_at);
  const updated = timestamp(issue.updated_at) ?? created;
  if (!created || !updated) return ignored('issue without created_at');
  const event = defectEvent(outcome, {
    source,
    scope,
    issueId: id,
    defectId,
    created,
    updated,
    closed: timestamp(issue.closed_at),
    url: str(issue.html_url),
  });
  return { events: [event] };
}

function pullRequest(
  p: Record<string, unknown>,
  repo: string,
  source: string,
  scope: Scope,
  ctx: GithubContext,
): Mapped {
  const pr = p.pull_request;
  if (!isRecord(pr)) return ignored('pull_request payload without pull_request');
  if (str(p.action) !== 'closed') {
    return ignored(
      `pull_request action "${str(p.action)}": the review is recorded when the pull request is merged or closed`,
    );
  }
  const id = str(pr.id);
  const number = str(pr.number);
  const merged = pr.merged === true || (pr.merged === undefined && !!pr.merged_at);
  const ended = timestamp(merged ? pr.merged_at : pr.closed_at) ?? timestamp(pr.closed_at);
  if (!id || !number || !ended) return ignored('pull request without id, number or closed_at');
  const additions = num(pr.additions);
  const deletions = num(pr.deletions);
  if (additions === undefined || deletions === undefined) {
    return ignored('pull request without additions and deletions (its size): cannot record the review');
  }
  const workProductId = `${repo}#${number}`;
  const reviews = ctx.lookups?.reviews;
  const reviewers = reviews
    ? new Set(
        reviews
          .map((r) => r.user?.login)
          .filter((l): l is string => !!l && l !== (isRecord(pr.user) ? pr.user.login : undefined)),
      )
    : undefined;
  const changesRequested = reviews?.some((r) => r.state.toUpperCase() === 'CHANGES_REQUESTED');
  const comments = num(pr.review_comments) ?? 0;
  return {
    events: [
      {
        ...envelope(source, scope, `pr-${id}-closed-${ended}`, ended),
        type: 'review.completed',
        data: {
          reviewId: workProductId,
          workProductType: 'code',
          workProductId,
          sizeReviewed: additions + deletions,
          sizeUnit: 'loc',
          defectsFound: ctx.config.reviewCommentsAsDefects ? comments : 0,
          durationHours: hoursBetween(timestamp(pr.created_at), ended),
          outcome: merged ? (changesRequested ? 'changes_requested' : 'approved') : 'rejected',
          ...(reviewers ? { participants: reviewers.size } : {}),
          reviewComments: comments,
          merged,
        },
      },
    ],
  };
}

function deploymentStatus(
  p: Record<string, unknown>,
  repo: string,
  source: string,
  scope: Scope,
  ctx: GithubContext,
): Mapped {
  const status = p.deployment_status;
  const deployment = p.deployment;
  if (!isRecord(status) || !isRecord(deployment))
    return ignored('deployment_status payload without deployment');
  const state = str(status.state);
  const outcome =
    state === 'success' ? 'success' : state === 'failure' || state === 'error' ? 'failed' : undefined;
  if (!outcome) return ignored(`deployment state "${state}" is not a finished deployment`);
  const deploymentId = str(deployment.id);
  const statusId = str(status.id);
  const time = timestamp(status.created_at) ?? timestamp(status.updated_at);
  const env = str(status.environment) ?? str(deployment.environment);
  if (!deploymentId || !statusId || !time || !env)
    return ignored('deployment status without ids, environment or time');
  const production = ctx.config.productionEnvironments.some((g) => globMatch(g, env));
  const payloadChanges = isRecord(deployment.payload) ? deployment.payload.changes : undefined;
  const changes = (ctx.lookups?.changes ?? (Array.isArray(payloadChanges) ? payloadChanges : []))
    .filter(isRecord)
    .map((c) => ({ changeId: str(c.changeId), committedAt: timestamp(c.committedAt) }))
    .filter((c): c is { changeId: string; committedAt: string } => !!c.changeId && !!c.committedAt);
  return {
    events: [
      {
        ...envelope(source, scope, `deployment-${deploymentId}-status-${statusId}`, time),
        type: 'delivery.deployment',
        data: {
          deploymentId: `${repo}/deployments/${deploymentId}`,
          environment: production ? 'production' : env,
          status: outcome,
          ...(changes.length > 0 ? { changes } : {}),
          ...(str(deployment.sha) ? { sha: str(deployment.sha) } : {}),
          ...(production && env !== 'production' ? { toolEnvironment: env } : {}),
        },
      },
    ],
  };
}

/** A release's milestone: titled as its tag or name (a leading `v` aside). */
export function matchMilestone<M extends { title: string }>(
  milestones: readonly M[],
  names: (string | undefined)[],
) {
  const wanted = new Set(
    names
      .filter((n): n is string => !!n)
      .flatMap((n) => [n.toLowerCase(), n.toLowerCase().replace(/^v(?=\d)/, '')]),
  );
  return milestones.find(
    (m) => wanted.has(m.title.toLowerCase()) || wanted.has(m.title.toLowerCase().replace(/^v(?=\d)/, '')),
  );
}

function release(p: Record<string, unknown>, source: string, scope: Scope, ctx: GithubContext): Mapped {
  const r = p.release;
  if (!isRecord(r)) return ignored('release payload without release');
  const action = str(p.action);
  if (action !== 'published' && action !== 'released')
    return ignored(`release action "${action}" ships nothing`);
  if (r.draft === true) return ignored('a draft release');
  if (r.prerelease === true && !ctx.config.includePrereleases)
    return ignored('a pre-release (includePrereleases is off)');
  const id = str(r.id);
  const tag = str(r.tag_name);
  const time = timestamp(r.published_at) ?? timestamp(r.created_at);
  if (!id || !tag || !time) return ignored('release without id, tag or published_at');
  const m = matchMilestone(ctx.lookups?.milestones ?? [], [tag, str(r.name)]);
  const plannedEnd = m ? timestamp(m.due_on) : undefined;
  if (!m || !plannedEnd) {
    return ignored(
      ctx.lookups?.milestones
        ? `no milestone titled "${tag}" with a due date: a release needs its planned end`
        : "the planned end of a release is its milestone's due date: set sources.github.apiTokenEnv so it can be read",
    );
  }
  return {
    events: [
      {
        ...envelope(source, scope, `release-${id}-published`, time),
        type: 'delivery.release',
        data: {
          releaseId: m.title,
          plannedEnd,
          tag,
        },
      },
    ],
  };
}

function milestone(p: Record<string, unknown>, source: string, scope: Scope): Mapped {
  const m = p.milestone;
  if (!isRecord(m)) return ignored('milestone payload without milestone');
  const action = str(p.action);
  if (action !== 'created' && action !== 'edited')
    return ignored(`milestone action "${action}" plans nothing`);
  const id = str(m.id);
  const title = str(m.title);
  const due = timestamp(m.due_on);
  if (!id || !title) return ignored('milestone without id or title');
  if (!due) return ignored('a milestone without a due date plans nothing');
  // Only a change of the due date is a (re-)plan; an edit of the description is not.
  if (action === 'edited' && !(isRecord(p.changes) && 'due_on' in p.changes)) {
    return ignored('the milestone edit does not change its due date');
  }
  const time = timestamp(action === 'created' ? m.created_at : m.updated_at);
  if (!time) return ignored('milestone without created_at/updated_at');
  return {
    events: [
      {
        ...envelope(source, scope, `milestone-${id}-due-${due}`, time),
        type: 'delivery.release.planned',
        data: { releaseId: title, plannedEnd: due },
      },
    ],
  };
}
