import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the GitHub and GitLab REST APIs on 127.0.0.1 (the tests reach no real API):
 * routes answer recorded-shape JSON, lists paginate with `Link: <…>; rel="next"` like the real ones,
 * and a test can inject a rate limit (429 + Retry-After) or a hard failure of one path.
 */
export interface FakeForge {
  url: string;
  /** Every path requested, in order (with the query string). */
  requests: string[];
  /** Answer `path` (without query) with `items`, `perPage` to a page. */
  list(path: string, items: unknown[], perPage?: number): void;
  one(path: string, body: unknown): void;
  /** The next `times` requests of a path prefix get 429 with Retry-After. */
  rateLimit(prefix: string, times: number, retryAfterSeconds?: number): void;
  /** Every request whose path and query contain `fragment` has its connection destroyed, until healed. */
  breakOn(fragment: string): void;
  /** Requests containing `fragment` get no answer until healed (a client killed while it waits). */
  holdOn(fragment: string): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startFakeForge(): Promise<FakeForge> {
  const lists = new Map<string, { items: unknown[]; perPage: number }>();
  const ones = new Map<string, unknown>();
  const limits = new Map<string, { times: number; after: number }>();
  const requests: string[] = [];
  let broken: string | undefined;
  let held: string | undefined;
  const waiting: ServerResponse[] = [];
  let base = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', base);
    requests.push(`${u.pathname}${u.search}`);
    if (broken && `${u.pathname}${u.search}`.includes(broken)) {
      req.socket.destroy();
      return;
    }
    if (held && `${u.pathname}${u.search}`.includes(held)) {
      waiting.push(res);
      return;
    }
    for (const [prefix, l] of limits) {
      if (u.pathname.startsWith(prefix) && l.times > 0) {
        l.times--;
        res.writeHead(429, { 'retry-after': String(l.after), 'content-type': 'application/json' });
        res.end('{"message":"API rate limit exceeded"}');
        return;
      }
    }
    const send = (body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4999', ...headers });
      res.end(JSON.stringify(body));
    };
    const list = lists.get(u.pathname);
    if (list) {
      const page = Number(u.searchParams.get('page') ?? '1');
      const slice = list.items.slice((page - 1) * list.perPage, page * list.perPage);
      const more = page * list.perPage < list.items.length;
      const next = new URL(u.toString());
      next.searchParams.set('page', String(page + 1));
      send(slice, more ? { link: `<${next}>; rel="next"` } : {});
      return;
    }
    if (ones.has(u.pathname)) return send(ones.get(u.pathname));
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(`{"message":"Not Found: ${u.pathname}"}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    list: (path, items, perPage = 2) => void lists.set(path, { items, perPage }),
    one: (path, body) => void ones.set(path, body),
    rateLimit: (prefix, times, after = 1) => void limits.set(prefix, { times, after }),
    breakOn: (fragment) => {
      broken = fragment;
    },
    holdOn: (fragment) => {
      held = fragment;
    },
    heal: () => {
      broken = undefined;
      held = undefined;
      for (const res of waiting.splice(0)) res.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
