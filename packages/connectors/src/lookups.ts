import type { GithubLookups } from './github.mapping.js';
import type { GitlabLookups } from './gitlab.mapping.js';
import { RestClient, type RestOptions } from './http.js';
import { isRecord, num, str } from './mapping.js';
import type { GithubSource, GitlabSource } from './sources.section.js';

/** A client of the GitHub REST API (or GitHub Enterprise's, by `apiUrl`). */
export function githubClient(
  config: Pick<GithubSource, 'apiUrl'>,
  token: string | undefined,
  extra: Partial<RestOptions> = {},
) {
  return new RestClient({
    baseUrl: config.apiUrl,
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'shewhart-connector',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...extra,
  });
}

export function gitlabClient(
  config: Pick<GitlabSource, 'apiUrl'>,
  token: string | undefined,
  extra: Partial<RestOptions> = {},
) {
  return new RestClient({
    baseUrl: config.apiUrl,
    headers: { 'user-agent': 'shewhart-connector', ...(token ? { 'private-token': token } : {}) },
    ...extra,
  });
}

/** Every page of a list endpoint. */
export async function all<T>(
  client: RestClient,
  path: string,
  query: Record<string, string | number> = {},
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined = client.url(path, { per_page: 100, ...query });
  while (next) {
    const page: { body: T[]; next?: string } = await client.get<T[]>(next);
    items.push(...page.body);
    next = page.next;
  }
  return items;
}

/** What a GitHub delivery needs beyond its payload: a release's milestones, a closed pull request's reviews. */
export async function githubLookups(
  client: RestClient,
  event: string,
  payload: unknown,
): Promise<GithubLookups> {
  if (!isRecord(payload) || !isRecord(payload.repository)) return {};
  const repo = str(payload.repository.full_name);
  if (!repo) return {};
  if (event === 'release')
    return { milestones: await all(client, `/repos/${repo}/milestones`, { state: 'all' }) };
  if (event === 'pull_request' && payload.action === 'closed' && isRecord(payload.pull_request)) {
    return { reviews: await all(client, `/repos/${repo}/pulls/${str(payload.pull_request.number)}/reviews`) };
  }
  return {};
}

/** Lines added and removed by a merge request (its diffs), and its comments. */
export async function mergeRequestSize(
  client: RestClient,
  project: string,
  iid: string,
): Promise<GitlabLookups['mergeRequest']> {
  const base = `/projects/${encodeURIComponent(project)}/merge_requests/${iid}`;
  const mr = (await client.get<Record<string, unknown>>(base)).body;
  const diffs = await all<{ diff?: string }>(client, `${base}/diffs`);
  let additions = 0;
  let deletions = 0;
  for (const d of diffs) {
    for (const line of (d.diff ?? '').split('\n')) {
      if (line.startsWith('+') && !line.startsWith('+++')) additions++;
      else if (line.startsWith('-') && !line.startsWith('---')) deletions++;
    }
  }
  return { additions, deletions, userNotesCount: num(mr.user_notes_count) ?? 0 };
}

export async function gitlabLookups(client: RestClient, payload: unknown): Promise<GitlabLookups> {
  if (!isRecord(payload) || payload.object_kind !== 'merge_request' || !isRecord(payload.object_attributes))
    return {};
  const action = payload.object_attributes.action;
  const project = isRecord(payload.project) ? str(payload.project.path_with_namespace) : undefined;
  const iid = str(payload.object_attributes.iid);
  if ((action !== 'merge' && action !== 'close') || !project || !iid) return {};
  return { mergeRequest: await mergeRequestSize(client, project, iid) };
}
