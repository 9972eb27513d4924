import type { ShewhartEventInput } from '@shewhart/events';
import { GithubDeploymentChanges } from './deployment-changes.js';
import { type GithubLookups, mapGithub } from './github.mapping.js';
import { mapGitlab } from './gitlab.mapping.js';
import type { RestClient } from './http.js';
import { all, mergeRequestSize } from './lookups.js';
import { globMatch, isRecord, type Mapped, str, timestamp } from './mapping.js';
import type { GithubSource, GitlabSource } from './sources.section.js';

/**
 * Where a backfill stands, saved after every page whose events were acknowledged: a run that stops
 * (interrupted, rate limited past patience, the API down) resumes at the page it had not finished.
 * Pages re-read after a resume map to the same event ids, so nothing is stored twice.
 */
export interface BackfillCursor {
  version: 1;
  tool: 'github' | 'gitlab';
  target: string;
  since: string;
  /** Index of the phase in progress (milestones, issues, …); equal to their number when done. */
  phase: number;
  /** The next page of that phase; undefined: its first page. */
  next?: string;
  totals: BackfillTotals;
}

export interface BackfillTotals {
  items: number;
  events: number;
  accepted: number;
  duplicates: number;
  ignored: number;
}

export interface BackfillIO {
  /** Publishes through the ingest path; resolves once durably acknowledged, throws otherwise. */
  publish(events: ShewhartEventInput[]): Promise<{ accepted: number; duplicates: number }>;
  saveCursor(cursor: BackfillCursor): void;
  progress?(line: string): void;
}

interface Phase {
  name: string;
  first: string;
  /** The events of one page, and whether the listing is past `since` (no need for more pages). */
  page(items: unknown[]): Promise<{ mapped: Mapped[]; stop?: boolean }>;
}

export function newCursor(tool: BackfillCursor['tool'], target: string, since: string): BackfillCursor {
  return {
    version: 1,
    tool,
    target,
    since,
    phase: 0,
    totals: { items: 0, events: 0, accepted: 0, duplicates: 0, ignored: 0 },
  };
}

async function run(
  client: RestClient,
  phases: Phase[],
  cursor: BackfillCursor,
  io: BackfillIO,
): Promise<BackfillCursor> {
  while (cursor.phase < phases.length) {
    const phase = phases[cursor.phase] as Phase;
    let url: string | undefined = cursor.next ?? phase.first;
    while (url) {
      const page: { body: unknown; next?: string } = await client.get<unknown>(url);
      const items = Array.isArray(page.body) ? page.body : [];
      const { mapped, stop } = await phase.page(items);
      const events = mapped.flatMap((m) => ('events' in m ? m.events : []));
      const ignoredCount = mapped.filter((m) => 'ignored' in m).length;
      const receipt = events.length > 0 ? await io.publish(events) : { accepted: 0, duplicates: 0 };
      const t = cursor.totals;
      t.items += items.length;
      t.events += events.length;
      t.accepted += receipt.accepted - receipt.duplicates;
      t.duplicates += receipt.duplicates;
      t.ignored += ignoredCount;
      url = stop ? undefined : page.next;
      cursor.next = url;
      if (!url) cursor.phase++;
      io.saveCursor(cursor);
      io.progress?.(
        `${cursor.target} ${phase.name}: ${items.length} items, ${events.length} events (${receipt.accepted - receipt.duplicates} new, ${receipt.duplicates} duplicates)`,
      );
    }
  }
  return cursor;
}

const after = (since: string) => (t: unknown) => {
  const ts = timestamp(t);
  return ts !== undefined && ts >= since;
};

/** GitHub: milestones (release plans), issues, closed pull requests, deployments, releases of one repository. */
export function backfillGithub(options: {
  client: RestClient;
  repo: string;
  config: GithubSource;
  defaultTeam: string;
  cursor: BackfillCursor;
  io: BackfillIO;
}): Promise<BackfillCursor> {
  const { client, repo, config, defaultTeam, cursor } = options;
  const since = cursor.since;
  const isAfter = after(since);
  const repository = { full_name: repo };
  const map = (event: string, payload: Record<string, unknown>, lookups?: GithubLookups) =>
    mapGithub({ event, payload: { ...payload, repository } }, { config, defaultTeam, lookups });
  let milestones: GithubLookups['milestones'];
  const base = `/repos/${repo}`;
  const deployments = new GithubDeploymentChanges(client, repo);
  const phases: Phase[] = [
    {
      name: 'milestones',
      first: client.url(`${base}/milestones`, { state: 'all', per_page: 100 }),
      page: async (items) => ({
        mapped: items
          .filter(isRecord)
          .filter((m) => isAfter(m.created_at) || isAfter(m.due_on))
          .map((milestone) => map('milestone', { action: 'created', milestone })),
      }),
    },
    {
      name: 'issues',
      first: client.url(`${base}/issues`, {
        state: 'all',
        since,
        sort: 'updated',
        direction: 'asc',
        per_page: 100,
      }),
      page: async (items) => ({
        mapped: items
          .filter(isRecord)
          .filter((i) => i.pull_request === undefined)
          .flatMap((issue) => [
            ...(isAfter(issue.created_at) ? [map('issues', { action: 'opened', issue })] : []),
            ...(issue.state === 'closed' && isAfter(issue.closed_at)
              ? [map('issues', { action: 'closed', issue })]
              : []),
          ]),
      }),
    },
    {
      name: 'pull requests',
      first: client.url(`${base}/pulls`, {
        state: 'closed',
        sort: 'updated',
        direction: 'desc',
        per_page: 100,
      }),
      page: async (items) => {
        const mapped: Mapped[] = [];
        const list = items.filter(isRecord);
        for (const pr of list.filter((p) => isAfter(p.closed_at))) {
          // The list omits additions, deletions and review comments: read the pull request itself.
          const full = (await client.get<Record<string, unknown>>(`${base}/pulls/${str(pr.number)}`)).body;
          const reviews = await all<NonNullable<GithubLookups['reviews']>[number]>(
            client,
            `${base}/pulls/${str(pr.number)}/reviews`,
          );
          mapped.push(map('pull_request', { action: 'closed', pull_request: full }, { reviews }));
        }
        // Sorted by update time, newest first: past `since`, every later page is older still.
        return { mapped, stop: list.some((p) => !isAfter(p.updated_at)) };
      },
    },
    {
      name: 'deployments',
      first: client.url(`${base}/deployments`, { per_page: 100 }),
      page: async (items) => {
        const mapped: Mapped[] = [];
        const list = items.filter(isRecord);
        for (const deployment of list.filter((d) => isAfter(d.created_at))) {
          const statuses = await deployments.statuses(str(deployment.id) as string);
          const environment =
            str(statuses.find((s) => s.environment)?.environment) ?? str(deployment.environment);
          // The commits shipped, from the compare API when the pipeline listed none in the payload: only
          // for a production deployment that finished (only those count for lead time).
          const listed = isRecord(deployment.payload) && Array.isArray(deployment.payload.changes);
          const finished = statuses.some((s) => ['success', 'failure', 'error'].includes(String(s.state)));
          const production =
            environment !== undefined && config.productionEnvironments.some((g) => globMatch(g, environment));
          const changes =
            !listed && finished && production && environment
              ? await deployments.changes(deployment, environment)
              : undefined;
          for (const s of statuses) {
            mapped.push(
              map(
                'deployment_status',
                {
                  action: 'created',
                  deployment,
                  deployment_status: { ...s, environment: s.environment ?? deployment.environment },
                },
                changes ? { changes } : undefined,
              ),
            );
          }
        }
        return { mapped, stop: list.some((d) => !isAfter(d.created_at)) };
      },
    },
    {
      name: 'releases',
      first: client.url(`${base}/releases`, { per_page: 100 }),
      page: async (items) => {
        milestones ??= await all(client, `${base}/milestones`, { state: 'all' });
        return {
          mapped: items
            .filter(isRecord)
            .filter((r) => isAfter(r.published_at))
            .map((release) => map('release', { action: 'published', release }, { milestones })),
        };
      },
    },
  ];
  return run(client, phases, cursor, options.io);
}

/** GitLab: issues, merge requests, deployments and releases of one project. */
export function backfillGitlab(options: {
  client: RestClient;
  project: string;
  config: GitlabSource;
  defaultTeam: string;
  cursor: BackfillCursor;
  io: BackfillIO;
}): Promise<BackfillCursor> {
  const { client, project, config, defaultTeam, cursor } = options;
  const since = cursor.since;
  const isAfter = after(since);
  const base = `/projects/${encodeURIComponent(project)}`;
  const proj = { path_with_namespace: project };
  const map = (payload: Record<string, unknown>, lookups?: Parameters<typeof mapGitlab>[1]['lookups']) =>
    mapGitlab({ payload: { ...payload, project: proj } }, { config, defaultTeam, lookups });
  const labels = (l: unknown) =>
    Array.isArray(l) ? l.map((title) => ({ title: isRecord(title) ? title.name : title })) : [];
  const phases: Phase[] = [
    {
      name: 'issues',
      first: client.url(`${base}/issues`, {
        updated_after: since,
        order_by: 'updated_at',
        sort: 'asc',
        per_page: 100,
      }),
      page: async (items) => ({
        mapped: items.filter(isRecord).flatMap((i) => {
          const attrs = {
            id: i.id,
            iid: i.iid,
            created_at: i.created_at,
            updated_at: i.updated_at,
            closed_at: i.closed_at,
            labels: labels(i.labels),
          };
          return [
            ...(isAfter(i.created_at)
              ? [map({ object_kind: 'issue', object_attributes: { ...attrs, action: 'open' } })]
              : []),
            ...(i.state === 'closed' && isAfter(i.closed_at)
              ? [map({ object_kind: 'issue', object_attributes: { ...attrs, action: 'close' } })]
              : []),
          ];
        }),
      }),
    },
    {
      name: 'merge requests',
      first: client.url(`${base}/merge_requests`, {
        state: 'all',
        updated_after: since,
        order_by: 'updated_at',
        sort: 'asc',
        per_page: 100,
      }),
      page: async (items) => {
        const mapped: Mapped[] = [];
        for (const mr of items.filter(isRecord)) {
          const merged = mr.state === 'merged' && isAfter(mr.merged_at);
          const closed = mr.state === 'closed' && isAfter(mr.closed_at);
          if (!merged && !closed) continue;
          const size = await mergeRequestSize(client, project, str(mr.iid) as string);
          mapped.push(
            map(
              {
                object_kind: 'merge_request',
                object_attributes: { ...mr, action: merged ? 'merge' : 'close' },
              },
              { mergeRequest: size },
            ),
          );
        }
        return { mapped };
      },
    },
    {
      name: 'deployments',
      first: client.url(`${base}/deployments`, {
        updated_after: since,
        order_by: 'updated_at',
        sort: 'asc',
        per_page: 100,
      }),
      page: async (items) => ({
        mapped: items.filter(isRecord).map((d) => {
          const env = isRecord(d.environment) ? d.environment : {};
          return map({
            object_kind: 'deployment',
            status: d.status,
            status_changed_at:
              (isRecord(d.deployable) ? d.deployable.finished_at : undefined) ?? d.updated_at,
            deployment_id: d.id,
            environment: env.name,
            environment_tier: env.tier,
            short_sha: str(d.sha)?.slice(0, 8),
          });
        }),
      }),
    },
    {
      name: 'releases',
      first: client.url(`${base}/releases`, { per_page: 100 }),
      page: async (items) => ({
        mapped: items
          .filter(isRecord)
          .filter((r) => isAfter(r.released_at))
          .map((r) =>
            map({
              object_kind: 'release',
              action: 'create',
              id: r.tag_name,
              tag: r.tag_name,
              released_at: r.released_at,
              created_at: r.created_at,
              milestones: r.milestones,
            }),
          ),
      }),
    },
  ];
  return run(client, phases, cursor, options.io);
}
