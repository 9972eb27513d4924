/**
 * A small JSON client for the tools' REST APIs, aware of their rate limits: a 429, or a 403 with no
 * requests left, waits for `Retry-After` or `X-RateLimit-Reset` (GitHub) / `RateLimit-Reset` (GitLab)
 * and tries again; when a response says none are left, the next request waits for the reset first.
 * Server errors and broken connections are retried with backoff, a bounded number of times.
 */
export interface RestOptions {
  baseUrl: string;
  headers: Record<string, string>;
  /** Told about every wait (progress output): seconds and why. */
  onWait?: (seconds: number, why: string) => void;
  maxRetries?: number;
  /** The longest single wait for a rate limit, in seconds. */
  maxWaitSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Page<T> {
  body: T;
  /** The URL of the next page (Link rel="next"), if any. */
  next?: string;
}

export class RestError extends Error {
  override readonly name = 'RestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class RestClient {
  #resetAt = 0;
  constructor(private readonly options: RestOptions) {}

  url(path: string, query: Record<string, string | number | undefined> = {}): string {
    const u = new URL(path.startsWith('http') ? path : `${this.options.baseUrl.replace(/\/+$/, '')}${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async get<T>(pathOrUrl: string, query: Record<string, string | number | undefined> = {}): Promise<Page<T>> {
    const url = this.url(pathOrUrl, query);
    const sleep = this.options.sleep ?? defaultSleep;
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const waitMs = this.#resetAt - Date.now();
      if (waitMs > 0) {
        this.options.onWait?.(Math.ceil(waitMs / 1000), 'rate limit exhausted; waiting for its reset');
        await sleep(waitMs);
      }
      let res: Response;
      try {
        res = await fetch(url, { headers: { accept: 'application/json', ...this.options.headers } });
      } catch (error) {
        if (attempt >= maxRetries) throw new RestError(`GET ${url}: ${(error as Error).message}`, 0);
        await this.#backoff(attempt, `connection failed (${(error as Error).message})`);
        continue;
      }
      const remaining = res.headers.get('x-ratelimit-remaining') ?? res.headers.get('ratelimit-remaining');
      const reset = res.headers.get('x-ratelimit-reset') ?? res.headers.get('ratelimit-reset');
      const limited =
        res.status === 429 || (res.status === 403 && (remaining === '0' || res.headers.has('retry-after')));
      if (limited) {
        await res.body?.cancel();
        if (attempt >= maxRetries)
          throw new RestError(`GET ${url}: still rate limited after ${attempt} waits`, res.status);
        const seconds = this.#waitSeconds(res.headers.get('retry-after'), reset);
        this.options.onWait?.(seconds, `rate limited (${res.status})`);
        await sleep(seconds * 1000);
        continue;
      }
      if (res.status >= 500) {
        await res.body?.cancel();
        if (attempt >= maxRetries)
          throw new RestError(`GET ${url}: ${res.status} after ${attempt + 1} attempts`, res.status);
        await this.#backoff(attempt, `server error ${res.status}`);
        continue;
      }
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        throw new RestError(`GET ${url}: ${res.status} ${text.slice(0, 200)}`, res.status);
      }
      if (remaining === '0' && reset) this.#resetAt = Date.now() + this.#waitSeconds(null, reset) * 1000;
      return { body: (await res.json()) as T, next: nextLink(res.headers.get('link')) };
    }
  }

  /** Seconds to wait: `Retry-After`, else until the reset (epoch seconds), at least 1, at most the cap. */
  #waitSeconds(retryAfter: string | null, reset: string | null): number {
    const cap = this.options.maxWaitSeconds ?? 3600;
    const after = retryAfter !== null ? Number(retryAfter) : Number.NaN;
    if (Number.isFinite(after)) return Math.min(cap, Math.max(1, Math.ceil(after)));
    const at = reset !== null ? Number(reset) : Number.NaN;
    // GitHub's reset is epoch seconds; GitLab's RateLimit-Reset is too.
    if (Number.isFinite(at)) return Math.min(cap, Math.max(1, Math.ceil(at - Date.now() / 1000)));
    return 60;
  }

  async #backoff(attempt: number, why: string): Promise<void> {
    const ms = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
    this.options.onWait?.(Math.ceil(ms / 1000), why);
    await (this.options.sleep ?? defaultSleep)(ms);
  }
}

/** `<https://api.github.com/...&page=2>; rel="next", <...>; rel="last"` → the next URL. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}
