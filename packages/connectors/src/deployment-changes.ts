import type { RestClient } from './http.js';
import { isRecord, str, timestamp } from './mapping.js';

type Item = Record<string, unknown>;

const FINISHED_OK = 'success';

/**
 * The changes a GitHub deployment shipped when its payload does not list them (most pipelines set no
 * `payload.changes`): the commits between the previous successful deployment to the same environment and
 * this one, read through the compare API, each with its author time. The author time is when the change
 * was first committed, and a rebase keeps it (the committer time moves). A failed deployment in between
 * shipped nothing, so the base is the last *successful* one; the first deployment of an environment has
 * no base and lists no changes. Lead time for changes then counts every commit of a backfilled
 * deployment, as it counts the changes a pipeline reports.
 *
 * One instance per backfill run: the environment's deployment list (newest first, as GitHub lists it)
 * and the statuses of each deployment are read once and kept.
 */
export class GithubDeploymentChanges {
  readonly #lists = new Map<string, { items: Item[]; next?: string }>();
  readonly #statuses = new Map<string, Promise<Item[]>>();

  constructor(
    private readonly client: RestClient,
    private readonly repo: string,
  ) {}

  /** Every status of a deployment (kept: the backfill and the base search both need them). */
  statuses(deploymentId: string): Promise<Item[]> {
    let statuses = this.#statuses.get(deploymentId);
    if (!statuses) {
      statuses = this.#all(`/repos/${this.repo}/deployments/${deploymentId}/statuses`);
      this.#statuses.set(deploymentId, statuses);
    }
    return statuses;
  }

  /** The commits `deployment` shipped to `environment`, or undefined when there is nothing to compare with. */
  async changes(
    deployment: Item,
    environment: string,
  ): Promise<{ changeId: string; committedAt: string }[] | undefined> {
    const head = str(deployment.sha);
    if (!head) return undefined;
    const base = await this.#previousSuccess(deployment, environment);
    const baseSha = base ? str(base.sha) : undefined;
    if (!baseSha) return undefined;
    if (baseSha === head) return []; // a redeployment of what is already there ships nothing new
    const changes: { changeId: string; committedAt: string }[] = [];
    let next: string | undefined = this.client.url(`/repos/${this.repo}/compare/${baseSha}...${head}`, {
      per_page: 100,
    });
    while (next) {
      const page: { body: unknown; next?: string } = await this.client.get<unknown>(next);
      const commits = isRecord(page.body) && Array.isArray(page.body.commits) ? page.body.commits : [];
      for (const c of commits.filter(isRecord)) {
        const commit = isRecord(c.commit) ? c.commit : {};
        const at =
          timestamp(isRecord(commit.author) ? commit.author.date : undefined) ??
          timestamp(isRecord(commit.committer) ? commit.committer.date : undefined);
        const sha = str(c.sha);
        if (sha && at) changes.push({ changeId: sha, committedAt: at });
      }
      next = page.next;
    }
    return changes;
  }

  /** The newest deployment to `environment` created before `deployment` that has a success status. */
  async #previousSuccess(deployment: Item, environment: string): Promise<Item | undefined> {
    const created = timestamp(deployment.created_at);
    if (!created) return undefined;
    let list = this.#lists.get(environment);
    if (!list) {
      list = {
        items: [],
        next: this.client.url(`/repos/${this.repo}/deployments`, { environment, per_page: 100 }),
      };
      this.#lists.set(environment, list);
    }
    for (let i = 0; ; i++) {
      while (i >= list.items.length && list.next) {
        const page: { body: unknown; next?: string } = await this.client.get<unknown>(list.next);
        list.items.push(...(Array.isArray(page.body) ? page.body.filter(isRecord) : []));
        list.next = page.next;
      }
      const candidate = list.items[i];
      if (!candidate) return undefined;
      const at = timestamp(candidate.created_at);
      // The listing is filtered by environment on GitHub; checked again for a payload that names it only
      // on its statuses.
      if (!at || at >= created || str(candidate.environment) !== environment) continue;
      const id = str(candidate.id);
      if (id && (await this.statuses(id)).some((s) => s.state === FINISHED_OK)) return candidate;
    }
  }

  async #all(path: string): Promise<Item[]> {
    const items: Item[] = [];
    let next: string | undefined = this.client.url(path, { per_page: 100 });
    while (next) {
      const page: { body: unknown; next?: string } = await this.client.get<unknown>(next);
      items.push(...(Array.isArray(page.body) ? page.body.filter(isRecord) : []));
      next = page.next;
    }
    return items;
  }
}
