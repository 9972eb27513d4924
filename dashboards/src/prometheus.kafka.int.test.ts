/**
 * The Prometheus panels against the real processes and a real Prometheus. The collector and a worker run
 * as child processes (services/*\/src/main.ts) against the test broker, get a valid event, an event the
 * collector refuses and a message the worker dead-letters.
 *
 * 1. Their /metrics, read as Prometheus would: for each selector of the committed dashboards, the metric
 *    family exists (a histogram's `_bucket`, `_sum`, `_count` series belong to their family), each label
 *    matcher matches a series' label, and each `by (…)` label is a label of its series. `up` is the one
 *    series Prometheus itself writes per target: its `job` matcher must name the scrape jobs.
 * 2. Prometheus itself (Debian's package, which .ci/run installs): started here on a free port, scraping
 *    both processes every 2 s under the job names of infra/compose/prometheus.yml (read from it). It is
 *    running before the first event, so it sees every counter the panels rate start at 0. Every Prometheus
 *    panel query of dashboards/generated/*.json, expanded as Grafana expands it (expandPromql: step,
 *    $__rate_interval, $__range, template variables; the provisioned data source's scrape interval), runs
 *    through the HTTP API over the dashboard's default range and over the last 5 minutes, and must succeed
 *    with series carrying every label its legend names; some panels must show exactly what happened (one
 *    dead letter in the range, both jobs up, every outcome and status, the test's consumer group).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INGEST_OUTCOMES, INGEST_STATUSES } from '../../packages/api/src/metrics.js';
import { KafkaBus, TOPICS } from '../../packages/bus/src/index.js';
import { WORKER_OUTCOMES } from '../../packages/ingest/src/index.js';
import { eventually, kafkaBrokers, uniqueName } from '../../test/setup/kafka.js';
import {
  isReady,
  killAll,
  postEvents,
  type ServiceProcess,
  startService,
  surveyEvent,
} from '../../test/support/processes.js';
import { GENERATED_DIR } from './build.js';
import { SCRAPE_JOBS } from './dashboards/pipeline-health.dashboard.js';
import { PROMETHEUS } from './datasource.js';
import { expandPromql } from './expand.js';
import {
  durationMs,
  type PrometheusProcess,
  type PromSeries,
  type ScrapeJob,
  startPrometheus,
} from './prometheus-server.js';
import { legendLabels, type PromSelector, readPromql } from './promql.js';
import { type DashboardJson, panelsOf } from './validate.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
}
interface Exposition {
  /** Family name → type (`counter`, `gauge`, `histogram`, …), from the `# TYPE` lines. */
  families: Map<string, string>;
  samples: Sample[];
}

/** Parses the text exposition format (what Prometheus scrapes). */
function parseExposition(text: string): Exposition {
  const families = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1] as string, type[2] as string);
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels });
  }
  return { families, samples };
}

const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

/** The family a selected name belongs to: itself, or the histogram (or summary) it is a series of. */
function familyOf(e: Exposition, metric: string): string | undefined {
  if (e.families.has(metric)) return metric;
  const base = metric.replace(HISTOGRAM_SUFFIX, '');
  const type = e.families.get(base);
  return base !== metric && (type === 'histogram' || type === 'summary') ? base : undefined;
}

function matches(op: string, value: string, actual: string | undefined): boolean {
  if (op === '=') return actual === value;
  if (op === '!=') return actual !== value;
  const full = new RegExp(`^(?:${value})$`);
  if (op === '=~') return actual !== undefined && full.test(actual);
  return !full.test(actual ?? '');
}

const DASHBOARDS = readdirSync(GENERATED_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(GENERATED_DIR, f), 'utf8')) as DashboardJson);
const PROM_TARGETS = DASHBOARDS.flatMap((d) =>
  panelsOf(d)
    .filter((p) => p.datasource?.uid === PROMETHEUS.uid)
    .flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        what: `${d.uid} "${p.title}"`,
        title: p.title ?? '',
        expr: t.expr ?? '',
        legend: t.legendFormat,
        instant: (t as { instant?: boolean }).instant === true,
        /** The dashboard's default range (`now-24h`). */
        range: (d as { time?: { from?: string } }).time?.from ?? 'now-6h',
        maxDataPoints: (p as { maxDataPoints?: number }).maxDataPoints,
      })),
    ),
);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
interface ComposeJob {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[] }[];
}
/** The scrape jobs of the compose recipe: the dashboards read these job names. */
const COMPOSE_JOBS = (
  parse(readFileSync(join(ROOT, 'infra/compose/prometheus.yml'), 'utf8')) as { scrape_configs: ComposeJob[] }
).scrape_configs;
/** The compose service a job scrapes: the host of its static target, or the name its DNS discovery resolves. */
const serviceOf = (j: ComposeJob) =>
  j.static_configs?.[0]?.targets[0]?.split(':')[0] ?? j.dns_sd_configs?.[0]?.names[0];
/** The provisioned data source's scrape interval: Grafana's $__rate_interval is at least four of them. */
const DS_SCRAPE_MS = durationMs(
  (
    parse(readFileSync(join(ROOT, 'infra/grafana/provisioning/datasources/shewhart.yaml'), 'utf8')) as {
      datasources: { uid: string; jsonData?: { timeInterval?: string } }[];
    }
  ).datasources.find((d) => d.uid === PROMETHEUS.uid)?.jsonData?.timeInterval ?? '15s',
);
/** Grafana's default max data points: the panel's width in pixels (about 1,000 on a wide screen). */
const PANEL_WIDTH = 1000;
/** Sample values of the dashboards' template variables, for PromQL that names them. */
const SAMPLE_VARIABLES = {
  type: { value: '$__all', multi: true, includeAll: true, options: ['feedback.survey'] },
};

let brokers: string;
let prefix: string;
let groupId: string;
let bus: KafkaBus;
let dir: string;
let prometheus: PrometheusProcess | undefined;
/** The worker's dead-letter series in Prometheus before the first dead letter. */
let deadLettersBefore: PromSeries[] = [];
const scraped: Record<'collector' | 'worker', Exposition> = {
  collector: { families: new Map(), samples: [] },
  worker: { families: new Map(), samples: [] },
};

const metricsOf = async (p: ServiceProcess) => (await fetch(`${p.url}/metrics`)).text();
const sampleValue = (text: string, series: string) =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(`${series} `))
      ?.split(' ')[1] ?? Number.NaN,
  );

beforeAll(async () => {
  brokers = kafkaBrokers().join(',');
  prefix = `${uniqueName('t.prom')}.`;
  dir = mkdtempSync(join(tmpdir(), 'shewhart-prom-'));
  groupId = uniqueName('workers');
  const env = {
    KAFKA_BROKERS: brokers,
    SHEWHART_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: groupId,
  };
  bus = new KafkaBus({
    brokers: brokers.split(','),
    logger: { ...console, debug: () => {}, info: () => {} },
  });
  const collector = await startService('collector', env);
  mkdirSync(join(dir, 'worker'));
  const worker = await startService('worker', { ...env, SHEWHART_DATA_DIR: join(dir, 'worker') });
  await eventually(
    'collector and worker ready',
    async () => ((await isReady(collector)) && (await isReady(worker)) ? true : undefined),
    60_000,
    100,
  );

  // Our own Prometheus, scraping both under the compose recipe's job names, before anything happens.
  const processes: Record<string, ServiceProcess> = { collector, worker };
  const jobs: ScrapeJob[] = COMPOSE_JOBS.map((j) => {
    const p = processes[serviceOf(j) ?? ''];
    if (!p)
      throw new Error(`infra/compose/prometheus.yml: job ${j.job_name} scrapes no service started here`);
    return {
      job_name: j.job_name,
      metrics_path: j.metrics_path ?? '/metrics',
      targets: [new URL(p.url).host],
    };
  });
  prometheus = await startPrometheus({ dir: join(dir, 'prometheus'), jobs, scrapeInterval: '2s' });
  await eventually(
    'Prometheus scraped every target of every job',
    async () => {
      const r = await promApi<{ activeTargets: { labels: { job: string }; health: string }[] }>('targets', {
        state: 'active',
      });
      const up = r.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job);
      return jobs.every((j) => up.includes(j.job_name)) && up.length === r.activeTargets.length
        ? true
        : undefined;
    },
    60_000,
    200,
  );
  deadLettersBefore = await promApi<{ result: PromSeries[] }>('query', {
    query: 'shewhart_worker_events_total{outcome="rejected"}',
  }).then((r) => r.result);

  // A valid event (accepted, then stored), one the collector refuses, and a message only the worker sees
  // that it dead-letters: every outcome series the panels select exists.
  expect((await postEvents(collector, [surveyEvent('test/prom', 'p-1')])).status).toBe(202);
  const refused = await postEvents(collector, [{ ...surveyEvent('test/prom', 'p-2'), type: 'no.such.type' }]);
  expect(refused.status).toBeGreaterThanOrEqual(400);
  await bus.publish(`${prefix}${TOPICS.events}`, [{ key: 'poison', value: Buffer.from('{"not": json') }]);
  const workerText = await eventually(
    'the worker stored the event and dead-lettered the poison',
    async () => {
      const text = await metricsOf(worker);
      const stored = sampleValue(text, 'shewhart_worker_events_total{outcome="stored"}');
      const dead = sampleValue(text, 'shewhart_worker_events_total{outcome="rejected"}');
      const lag = text.split('\n').some((l) => l.startsWith('shewhart_worker_consumer_lag{'));
      return stored >= 1 && dead >= 1 && lag ? text : undefined;
    },
    60_000,
    200,
  );
  scraped.worker = parseExposition(workerText);
  scraped.collector = parseExposition(await metricsOf(collector));
  await eventually(
    'Prometheus scraped the dead letter and the stored event',
    async () => {
      const r = await promApi<{ result: PromSeries[] }>('query', {
        query: 'min(shewhart_worker_events_total{outcome=~"rejected|stored"})',
      });
      return Number(r.result[0]?.value?.[1] ?? 0) >= 1 ? true : undefined;
    },
    30_000,
    200,
  );
}, 240_000);

afterAll(async () => {
  await prometheus?.stop();
  await killAll();
  await bus
    ?.deleteTopics([`${prefix}${TOPICS.events}`, `${prefix}${TOPICS.deadLetters}`])
    .catch(() => undefined);
  await bus?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus panels select metrics the processes export', () => {
  it('has Prometheus panels to check', () => {
    expect(PROM_TARGETS.length).toBeGreaterThanOrEqual(8);
  });

  it('refuses a metric no process exports, a label value no series has, and a label no series carries', () => {
    const check = (expr: string) => () => {
      for (const s of readPromql(expr).selectors) checkSelector('probe', s);
    };
    expect(check('sum(rate(shewhart_worker_dead_letters_total[5m]))')).toThrow(/no process exports/);
    // The outcome an earlier version of the docs named: the worker counts dead letters as `rejected`.
    expect(check('shewhart_worker_events_total{outcome="dead_lettered"}')).toThrow(
      /no shewhart_worker_events_total series with outcome="dead_lettered"/,
    );
    expect(check('sum by (consumer) (shewhart_worker_consumer_lag)')).toThrow(/has no label consumer/);
    expect(check('up{job="shewhart-alerts"}')).toThrow();
  });

  // Named in full (it.each would shorten the titles to the same few characters).
  for (const { what, expr, legend } of PROM_TARGETS)
    it(what, () => {
      const reading = readPromql(expr);
      expect(reading.errors, what).toEqual([]);
      for (const s of reading.selectors) checkSelector(what, s);
      // A legend label is a label of the result (a selector's series keep theirs; `by` keeps its own).
      for (const label of legendLabels(legend)) {
        const kept = reading.resultLabels ?? reading.selectors.flatMap((s) => labelsOf(s.metric));
        expect(kept, `${what}: legend {{${label}}}`).toContain(label);
      }
    });
});

/** Label names of the series of a metric, on either process (Prometheus adds `job` and `instance`). */
function labelsOf(metric: string): string[] {
  if (metric === 'up') return ['job', 'instance'];
  return [
    ...new Set(
      Object.values(scraped)
        .flatMap((e) => e.samples.filter((s) => s.name === metric))
        .flatMap((s) => Object.keys(s.labels)),
    ),
    'job',
    'instance',
  ];
}

function checkSelector(what: string, s: PromSelector) {
  if (s.metric === 'up') {
    // Written by Prometheus per scrape target: the job names are the scrape configuration's.
    const job = s.matchers.find((m) => m.label === 'job');
    expect(job, `${what}: up without a job matcher`).toBeDefined();
    for (const name of Object.values(SCRAPE_JOBS))
      expect(matches(job?.op ?? '', job?.value ?? '', name)).toBe(true);
    for (const l of s.groupedBy) expect(['job', 'instance'], `${what}: up by ${l}`).toContain(l);
    return;
  }
  const owner = (['collector', 'worker'] as const).find((p) => familyOf(scraped[p], s.metric));
  expect(owner, `${what}: no process exports ${s.metric}`).toBeDefined();
  const series = scraped[owner as 'collector' | 'worker'].samples.filter((x) => x.name === s.metric);
  expect(series.length, `${what}: ${s.metric} has no series`).toBeGreaterThan(0);
  for (const m of s.matchers) {
    expect(
      series.some((x) => matches(m.op, m.value, x.labels[m.label])),
      `${what}: no ${s.metric} series with ${m.label}${m.op}"${m.value}"`,
    ).toBe(true);
  }
  for (const l of s.groupedBy) {
    expect(
      series.some((x) => l in x.labels),
      `${what}: ${s.metric} has no label ${l}`,
    ).toBe(true);
  }
}

/** Prometheus's HTTP API (POST, form-encoded, as Grafana sends it): the `data` of a successful answer. */
async function promApi<T>(path: string, params: Record<string, string>): Promise<T> {
  if (!prometheus) throw new Error('Prometheus is not running');
  const res = await fetch(`${prometheus.url}/api/v1/${path}`, {
    method: path === 'targets' ? 'GET' : 'POST',
    ...(path === 'targets'
      ? {}
      : {
          body: new URLSearchParams(params),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
  });
  const body = (await res.json()) as { status: string; data: T; errorType?: string; error?: string };
  if (body.status !== 'success')
    throw new Error(`Prometheus /api/v1/${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
  return body.data;
}

/** Grafana's relative range `now-24h`, `now-5m` ending now. */
function rangeOf(from: string): { from: Date; to: Date } {
  const m = /^now-(\d+)([smhd])$/.exec(from);
  if (!m) throw new Error(`range ${from} is not emulated`);
  const to = new Date();
  return { from: new Date(to.getTime() - durationMs(`${m[1]}${m[2]}`)), to };
}

type PromTarget = (typeof PROM_TARGETS)[number];

/** The query Grafana would send for the panel over `range`, run on Prometheus. */
async function runPanelQuery(t: PromTarget, range: string) {
  const r = expandPromql(t.expr, {
    ...rangeOf(range),
    scrapeIntervalMs: DS_SCRAPE_MS,
    maxDataPoints: t.maxDataPoints ?? PANEL_WIDTH,
    variables: SAMPLE_VARIABLES,
  });
  const seconds = (d: Date) => String(d.getTime() / 1000);
  const data = t.instant
    ? await promApi<{ result: PromSeries[] }>('query', { query: r.expr, time: seconds(r.end) })
    : await promApi<{ result: PromSeries[] }>('query_range', {
        query: r.expr,
        start: seconds(r.start),
        end: seconds(r.end),
        step: String(r.stepMs / 1000),
      });
  return { expr: r.expr, series: data.result };
}

/** The last value of a series (instant or range). */
const lastValue = (s: PromSeries) => Number(s.value?.[1] ?? s.values?.at(-1)?.[1]);
const labelValues = (series: PromSeries[], label: string) => series.map((s) => s.metric[label]).sort();

/** What some panels must show, beyond series with their legend's labels. */
const EXPECTED: Record<string, (series: PromSeries[]) => void> = {
  // The one poison message, counted although it was the worker's first dead letter (the series starts at 0).
  'Dead letters in the range': (series) => expect(series.map(lastValue)).toEqual([1]),
  'Processes Prometheus reaches': (series) => {
    expect(labelValues(series, 'job')).toEqual(COMPOSE_JOBS.map((j) => j.job_name).sort());
    expect(series.map(lastValue)).toEqual([1, 1]);
  },
  'Workers: events per second by outcome': (series) =>
    expect(labelValues(series, 'outcome')).toEqual([...WORKER_OUTCOMES].sort()),
  'Collector: events per second by outcome': (series) =>
    expect(labelValues(series, 'outcome')).toEqual([...INGEST_OUTCOMES].sort()),
  'Collector: requests per second by status': (series) =>
    expect(labelValues(series, 'status')).toEqual([...INGEST_STATUSES].sort()),
  'Consumer lag (messages, all partitions)': (series) =>
    expect(labelValues(series, 'group')).toEqual([groupId]),
  'Consumer lag per partition': (series) =>
    expect([...new Set(labelValues(series, 'group'))]).toEqual([groupId]),
  'Workers in the consumer group': (series) => expect(labelValues(series, 'group')).toEqual([groupId]),
};

describe('every Prometheus panel query, as Grafana sends it, on a real Prometheus scraping the processes', () => {
  it('saw the dead-letter counter at 0 before the first dead letter', () => {
    expect(deadLettersBefore.map((s) => [s.metric.job, s.value?.[1]])).toEqual([
      [COMPOSE_JOBS.find((j) => serviceOf(j) === 'worker')?.job_name, '0'],
    ]);
  });

  const cases = PROM_TARGETS.flatMap((t) => [
    { ...t, over: t.range },
    { ...t, over: 'now-5m' },
  ]);
  for (const t of cases)
    it(`${t.what} over ${t.over}`, async () => {
      const check = (series: PromSeries[]) => {
        expect(series.length, 'no series').toBeGreaterThan(0);
        for (const s of series) {
          for (const label of legendLabels(t.legend))
            expect(Object.keys(s.metric), `legend {{${label}}}`).toContain(label);
          if (!t.instant) expect(s.values?.length, 'no points').toBeGreaterThan(0);
        }
        EXPECTED[t.title]?.(series);
      };
      // Rates need two scrapes inside their window, and the query time is aligned down to the step: poll
      // until the aligned time has what the test made happen, then assert on the last answer.
      let last: Awaited<ReturnType<typeof runPanelQuery>> | undefined;
      await eventually(
        `${t.what} over ${t.over} to return its series`,
        async () => {
          last = await runPanelQuery(t, t.over);
          try {
            check(last.series);
            return true;
          } catch {
            return undefined;
          }
        },
        150_000,
        1000,
      ).catch((error: Error) => {
        // A query Prometheus refuses fails at once; a wait that ends reports the last answer below.
        if (!error.message.startsWith('timed out')) throw error;
      });
      if (!last) throw new Error('no answer');
      const { expr, series } = last;
      expect(expr).not.toMatch(/\$/);
      try {
        check(series);
      } catch (error) {
        throw new Error(
          `${expr}\n→ ${JSON.stringify(series.map((s) => [s.metric, s.value ?? s.values?.at(-1)]))}\n${error}`,
        );
      }
    }, 180_000);
});
