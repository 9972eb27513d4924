/** A small client of the Shewhart HTTP API, used by CLI commands that talk to a running server. */
export interface IngestResult {
  status: number;
  accepted?: number;
  duplicates?: number;
  errors?: { index: number; path: (string | number)[]; message: string }[];
  message?: string;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}`, ...extra } : extra;
  }

  /** Posts a batch as NDJSON, retrying while the server answers 503 (bounded). */
  async ingest(events: readonly unknown[]): Promise<IngestResult> {
    const body = `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseUrl}/v1/events`, {
        method: 'POST',
        headers: this.#headers({ 'content-type': 'application/x-ndjson' }),
        body,
      });
      const json = (await res.json().catch(() => ({}))) as Omit<IngestResult, 'status'>;
      if (res.status === 503 && attempt < 5) {
        const wait = Number(res.headers.get('retry-after') ?? '1');
        await new Promise((r) => setTimeout(r, Math.min(30, Math.max(1, wait)) * 1000));
        continue;
      }
      return { status: res.status, ...json };
    }
  }

  async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams(
      Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const qs = params.size > 0 ? `?${params}` : '';
    const res = await fetch(`${this.baseUrl}${path}${qs}`, { headers: this.#headers() });
    const json = (await res.json().catch(() => ({}))) as T & { message?: string };
    if (!res.ok) throw new Error(`${res.status} from ${path}: ${json.message ?? res.statusText}`);
    return json;
  }

  /** POSTs a JSON document; anything but 201/200 is an error naming the server's message. */
  async post<T>(path: string, body: unknown, what: string): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: this.#headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as T & { message?: string };
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`${what} refused (${res.status}): ${json.message ?? res.statusText}`);
    return json;
  }
}
