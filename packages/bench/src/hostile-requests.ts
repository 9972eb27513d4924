/**
 * Generated hostile HTTP requests against every route of the API, as an attacker (or a broken client)
 * sends them: odd path spellings and segments, odd query parameters, wrong methods and content types,
 * bodies that are not UTF-8, not JSON, nested too deep, too many, or valid events with hostile strings
 * (NUL, control characters, lone surrogates) in one field. Shared by the fuzz test of the suite
 * (test/fuzz.int.test.ts) and `pnpm bench hostile`.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';

export interface RouteInfo {
  method: string;
  url: string;
}

export interface HostileRequest {
  method: string;
  /** Sent exactly as given (not normalised). */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface HostileOptions {
  /** Allow bodies of several MiB (a few per thousand requests). Off in the suite, on in the benchmark. */
  bigBodies?: boolean;
  /** A KPI id of the catalogue and a team that exists, so some requests go deep. */
  knownKpis?: readonly string[];
  knownTeams?: readonly string[];
}

const KPIS = ['defect_arrivals', 'lead_time_for_changes', 'productivity', 'phase_containment', 'csat'];
const TEAMS = ['alpha', 'payments'];

/** Strings that break naive code: control characters, lone surrogates, wildcards, very long ones. */
const hostileText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'x\u0000b',
    '\ud800',
    'a\udfffb',
    '\ud83d',
    '\u001b[31m',
    '\u0085',
    '\u2028',
    '%',
    '_',
    '%%',
    "'; DROP TABLE events_raw; --",
    '{v:String}',
    '\\',
    '"',
    '..',
    '../../etc/passwd',
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    '9999-12-31',
    '2026-02-30',
    '0000-00-00',
    '1969-12-31',
    '2149-06-07',
    '2026-01-01T25:00:00Z',
    '+275760-09-13T00:00:00Z',
    '__proto__',
    'constructor',
    '😀',
    '\u00e9',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.nat({ max: 5000 }).map((n) => 'a'.repeat(n)),
);

/** A percent-encoded query or path value: UTF-8 percent escapes, raw bytes, broken escapes. */
const hostileQueryValue = fc.oneof(
  hostileText.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '\ufffd'))),
  fc.constantFrom(
    '%00',
    '%ff',
    '%ED%A0%80', // a surrogate encoded as UTF-8: invalid UTF-8
    '%C0%AE', // overlong '.'
    '%',
    '%zz',
    '%25',
    '2026-02-30',
    '9999-12-31',
    '0001-01-01',
    '99999999999999999999',
    '-1',
    'NaN',
    'week',
    'day',
    'year',
    'month',
    'quarter',
    'svg',
    'json',
    'kloc',
    'code',
    '2024-01-01T00:00:00%2B99:00',
    '2024-01-01T00:00:00Z',
    '2024-01-01',
  ),
);

const PARAMS = [
  'period',
  'from',
  'to',
  'team',
  'project',
  'asOf',
  'unit',
  'phase',
  'format',
  'kpi',
  'since',
  'grains',
  'x',
];

function queryString(known: readonly string[]): fc.Arbitrary<string> {
  const pair = fc.tuple(
    fc.oneof(fc.constantFrom(...PARAMS), hostileQueryValue),
    fc.oneof(hostileQueryValue, fc.constantFrom(...known)),
  );
  return fc
    .array(pair, { maxLength: 6 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
}

/** A value for a path parameter (`:id`, `:kpi`). */
function segment(kpis: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...kpis) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        'no_such_kpi',
        '%00',
        '..',
        '%2e%2e',
        '.',
        '%2F',
        '%ff',
        '%ED%A0%80',
        '',
        'DEFECT_ARRIVALS',
        'defect_arrivals%00',
        'defect_arrivals;x=1',
        '%E2%80%A8',
        '~',
        '*',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 20_000 }).map((n) => 'a'.repeat(n)) },
    { weight: 2, arbitrary: hostileQueryValue },
  );
}

/** One spelling of a path: mostly as is; else percent-encoded, dot segments, doubled slashes, absolute form, upper case. */
function spelled(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(path) },
    {
      weight: 8,
      arbitrary: fc.constantFrom(
        path.replace('/v1/', '/%761/'),
        path.replace('/v1/', '/V1/'),
        path.replace('/v1/', '/v1//'),
        path.replace('/v1/', '/v1/./'),
        path.replace('/v1/', '/x/../v1/'),
        `http://evil.example${path}`,
        `${path}/`,
        `${path}#frag`,
        `${path}?`,
        path.toUpperCase(),
      ),
    },
  );
}

/** A route of the app with its own method (mostly), or another method, or a path no route has. */
function target(routes: readonly RouteInfo[]): fc.Arbitrary<{ method: string; template: string }> {
  const methods = [...new Set(routes.map((r) => r.method)), 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'];
  const templates = [...new Set(routes.map((r) => r.url))];
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...routes).map((r) => ({ method: r.method, template: r.url })) },
    {
      weight: 2,
      arbitrary: fc.record({ method: fc.constantFrom(...methods), template: fc.constantFrom(...templates) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        method: fc.constantFrom(...methods),
        template: fc.constantFrom('/v1/nothing', '/', '/v2/kpis', '/v1', '/v1/kpis/:id/chart/extra'),
      }),
    },
  );
}

const EVENTS: Record<string, unknown>[] = [
  {
    id: 'h1',
    source: 'fuzz',
    type: 'defect.reported',
    time: '2024-01-03T10:00:00Z',
    team: 'alpha',
    data: { defectId: 'd1', severity: 'major', detectionActivity: 'unit_test' },
  },
  {
    id: 'h2',
    source: 'fuzz',
    type: 'delivery.deployment',
    time: '2024-01-04T10:00:00Z',
    team: 'alpha',
    project: 'web',
    data: {
      deploymentId: 'dep1',
      environment: 'production',
      status: 'success',
      changes: [{ changeId: 'c1', committedAt: '2024-01-02T10:00:00Z' }],
    },
  },
  {
    id: 'h3',
    source: 'fuzz',
    type: 'feedback.complaint',
    time: '2024-01-05T10:00:00Z',
    team: 'alpha',
    data: { complaintId: 'k1' },
  },
  {
    id: 'h4',
    source: 'fuzz',
    type: 'review.completed',
    time: '2024-01-05T10:00:00Z',
    team: 'alpha',
    data: { reviewId: 'r1', workProductType: 'code', sizeReviewed: 100, sizeUnit: 'loc', defectsFound: 2 },
  },
];

/** Every string-valued path of a JSON value (['data', 'changes', 0, 'changeId'], …). */
function stringPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [prefix];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringPaths(v, [...prefix, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...prefix, k]));
  }
  return [];
}

function setPath(value: unknown, path: (string | number)[], to: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1) as string | number] = to;
  return copy;
}

/** A valid event with one string field (envelope or payload) replaced by a hostile value, or an extra field. */
const hostileEvent: fc.Arbitrary<unknown> = fc
  .tuple(fc.constantFrom(...EVENTS), fc.nat(), hostileText, fc.boolean(), fc.string({ maxLength: 8 }))
  .map(([event, pick, text, extra, id]) => {
    const fresh: Record<string, unknown> = { ...event, id: `${String(event.id)}-${id}` };
    if (extra) return { ...fresh, data: { ...(fresh.data as object), [text]: text } };
    const paths = stringPaths(fresh);
    return setPath(fresh, paths[pick % paths.length] as (string | number)[], text);
  });

/** A decision or refresh body with one hostile field. */
const hostileDecision: fc.Arbitrary<unknown> = fc
  .record(
    {
      reason: hostileText,
      from: hostileText,
      periodStart: fc.oneof(hostileText, fc.constant('2024-01-01')),
      causeCode: hostileText,
      reference: hostileText,
      note: hostileText,
      decidedBy: hostileText,
      recordedBy: hostileText,
      team: fc.oneof(hostileText, fc.constantFrom(...TEAMS)),
      project: hostileText,
      period: fc.oneof(hostileText, fc.constantFrom('week', 'month')),
      unit: hostileText,
      phase: hostileText,
      grains: fc.oneof(fc.array(hostileText, { maxLength: 5 }), hostileText),
    },
    { requiredKeys: [] },
  )
  .map((r) => r as unknown);

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Bodies: JSON text of hostile values, broken JSON, wrong encodings, and shapes beyond the limits. */
function bodyOf(options: HostileOptions): fc.Arbitrary<Buffer | undefined> {
  const json = (a: fc.Arbitrary<unknown>) => a.map((v) => utf8(JSON.stringify(v)));
  const arbitraries: fc.WeightedArbitrary<Buffer | undefined>[] = [
    { weight: 6, arbitrary: json(hostileEvent) },
    { weight: 3, arbitrary: json(fc.array(hostileEvent, { maxLength: 5 })) },
    {
      weight: 2,
      arbitrary: fc
        .array(hostileEvent, { minLength: 1, maxLength: 4 })
        .map((es) => utf8(es.map((e) => JSON.stringify(e)).join('\n'))),
    },
    { weight: 5, arbitrary: json(hostileDecision) },
    { weight: 2, arbitrary: json(fc.jsonValue({ maxDepth: 4 })) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          '',
          ' ',
          '{',
          '[',
          ']',
          'null',
          '0',
          '"x"',
          '{"a":1,"a":2}',
          '{"__proto__":{"polluted":1}}',
          '{"reason":"\\ud800 lone"}',
          '{"reason":"nul \\u0000 in text"}',
          '[{}]',
          '[1e999]',
          '{"grains":["week","week","week","week","week"]}',
          'undefined',
          '\u0000',
          '{"a":"b"}garbage',
        )
        .map(utf8),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
        Buffer.concat([utf8('{"id":"'), Buffer.from([0xc3, 0x28]), utf8('"}')]),
        Buffer.concat([utf8('{"reason":"'), Buffer.from([0xed, 0xa0, 0x80]), utf8('"}')]),
        Buffer.concat([utf8('{"reason":"a'), Buffer.from([0x00]), utf8('b"}')]),
        Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // a BOM
        Buffer.from('{"reason":"latin1 \xe9"}', 'latin1'),
        Buffer.from('{}', 'utf16le'),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 33, max: 200_000 }).map((n) => utf8(`${'['.repeat(n)}${']'.repeat(n)}`)),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 10_001, max: 60_000 })
        .map((n) => utf8(`[${Array.from({ length: n }, () => '{}').join(',')}]`)),
    },
  ];
  if (options.bigBodies) {
    arbitraries.push({
      weight: 1,
      arbitrary: fc
        .constantFrom(
          // 16 MiB-ish bodies: millions of empty objects, one wide object, one long string.
          () => utf8(`[${'{},'.repeat(5_400_000)}{}]`),
          () => utf8(`{"data":{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":{}`).join(',')}}}`),
          () => utf8(`[{"a":[${'{},'.repeat(4_000_000)}{}]}]`),
          () => utf8(`{"reason":"${'a'.repeat(15_000_000)}"}`),
        )
        .map((make) => make()),
    });
  }
  return fc.oneof(...arbitraries);
}

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/x-ndjson',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json, text/plain',
  '',
];

/** Hostile requests against `routes` (an app's `routeList`). */
export function hostileRequests(
  routes: readonly RouteInfo[],
  options: HostileOptions = {},
): fc.Arbitrary<HostileRequest> {
  const kpis = options.knownKpis ?? KPIS;
  const teams = options.knownTeams ?? TEAMS;
  return fc
    .record({
      target: target(routes),
      value: segment(kpis),
      query: queryString([...kpis, ...teams]),
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined, freq: 3 }),
      authorization: fc.option(
        fc.constantFrom(
          'Bearer',
          'Bearer x',
          'Basic Zm9vOmJhcg==',
          'bearer  tok tok',
          `Bearer ${'t'.repeat(5000)}`,
        ),
        { nil: undefined, freq: 2 },
      ),
      encoding: fc.option(fc.constantFrom('gzip', 'br', 'identity', 'x'), { nil: undefined, freq: 8 }),
      body: bodyOf(options),
    })
    .chain(({ target, value, query, ...rest }) =>
      spelled(target.template.replace(/:[a-z]+/g, value)).map((path) => ({
        ...rest,
        method: target.method,
        path: path + query,
      })),
    )
    .map(({ method, path, contentType, authorization, encoding, body }) => {
      const headers: Record<string, string> = {};
      if (contentType !== undefined) headers['content-type'] = contentType;
      else if (body !== undefined) headers['content-type'] = 'application/json';
      if (authorization !== undefined) headers.authorization = authorization;
      if (encoding !== undefined) headers['content-encoding'] = encoding;
      const sendsBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
      return { method, path, headers, ...(sendsBody ? { body } : {}) };
    });
}

export interface HostileResponse {
  /** 0: no answer (the connection failed or `timeoutMs` passed). */
  status: number;
  ms: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  error?: string;
}

/** Sends one request exactly as given (path unnormalised, body as bytes) over a fresh connection. */
export function sendRaw(baseUrl: string, req: HostileRequest, timeoutMs: number): Promise<HostileResponse> {
  const { hostname, port } = new URL(baseUrl);
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<HostileResponse, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: performance.now() - started });
    };
    const request = httpRequest(
      {
        host: hostname,
        port: Number(port),
        method: req.method,
        path: req.path,
        headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) },
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', (e) =>
          done({ status: res.statusCode ?? 0, body: '', headers: res.headers, error: e.message }),
        );
      },
    );
    request.on('timeout', () => {
      request.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    request.on('error', (e: NodeJS.ErrnoException) => {
      // A server that refuses a large body early answers and closes while the body is still being
      // written: the write fails (EPIPE/ECONNRESET) but the answer may still arrive. Wait a moment for it.
      const early = e.code === 'EPIPE' || e.code === 'ECONNRESET';
      if (!early) return done({ status: 0, body: '', headers: {}, error: e.message });
      setTimeout(() => done({ status: 0, body: '', headers: {}, error: e.message }), 500);
    });
    request.end(req.body);
  });
}
