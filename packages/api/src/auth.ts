import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * What a route needs. Declared on every route (`config.access`) and checked on the route the router
 * matched — never on the raw URL, which can be spelled many ways (`/%761/events`, absolute form, `//`).
 * `decide` (record a rebase or an assignable cause) implies `read`. A request that matches no route
 * needs a valid token of any kind before it learns that (deny by default).
 *
 * `signed`: the route authenticates the request itself, by a signature over its body or a shared token
 * of the tool that sends it (the webhooks: GitHub's `X-Hub-Signature-256`, GitLab's `X-Gitlab-Token`,
 * Jira's `X-Hub-Signature`). The bearer check lets it through, and its handler must verify before it
 * reads anything; it refuses an unsigned request with 401 whether or not tokens are configured.
 */
export type Access = 'public' | 'read' | 'ingest' | 'decide' | 'signed';

export interface TokenLists {
  ingest: readonly string[];
  read: readonly string[];
  decide: readonly string[];
}

type Scope = Exclude<Access, 'public' | 'signed'>;

/** 'missing' → 401, 'unknown' → 401 (a token we do not know), 'forbidden' → 403 (known, not allowed). */
export type Verdict = 'ok' | 'missing' | 'unknown' | 'forbidden';

/**
 * Bearer tokens per scope. Tokens are compared as SHA-256 digests, with a constant-time comparison over
 * every configured token, so neither the length nor the content of a token leaks through timing.
 */
export class Authenticator {
  readonly #tokens: { digest: Buffer; scopes: Set<Scope> }[] = [];

  /** `internalToken`: a per-process token with every scope, for in-process clients (import, demo). */
  constructor(lists: TokenLists, internalToken?: string) {
    const add = (token: string, scope: Scope) => {
      const d = digest(token);
      const found = this.#tokens.find((t) => t.digest.equals(d));
      if (found) found.scopes.add(scope);
      else this.#tokens.push({ digest: d, scopes: new Set([scope]) });
    };
    for (const scope of ['ingest', 'read', 'decide'] as const) for (const t of lists[scope]) add(t, scope);
    // Authentication is on when any token is configured; the internal token alone does not turn it on.
    this.enabled = this.#tokens.length > 0;
    if (internalToken) for (const scope of ['ingest', 'read', 'decide'] as const) add(internalToken, scope);
  }

  readonly enabled: boolean;

  /** `access` undefined: a request that matched no route (any valid token will do). */
  check(authorization: string | undefined, access: Access | undefined): Verdict {
    // A signed route verifies its own signature (see `Access`); a bearer token does not replace it.
    if (!this.enabled || access === 'public' || access === 'signed') return 'ok';
    const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization ?? '');
    if (!match) return 'missing';
    const candidate = digest(match[1] as string);
    let found: Set<Scope> | undefined;
    for (const t of this.#tokens) if (timingSafeEqual(t.digest, candidate)) found = t.scopes;
    if (!found) return 'unknown';
    if (access === undefined) return 'ok';
    const allowed = found.has(access) || (access === 'read' && found.has('decide'));
    return allowed ? 'ok' : 'forbidden';
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
