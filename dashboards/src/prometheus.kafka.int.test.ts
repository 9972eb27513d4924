/**
 * Every metric a Prometheus panel's PromQL selects is one the real processes export: the collector and a
 * worker run as child processes (services/*\/src/main.ts) against the test broker, get a valid event, an
 * event the collector refuses and a message the worker dead-letters, and their /metrics are scraped as
 * Prometheus would (infra/compose/prometheus.yml). For each selector of the committed dashboards: the
 * metric family exists (a histogram's `_bucket`, `_sum`, `_count` series belong to their family), each
 * label matcher matches a series' label, and each `by (…)` label is a label of its series. `up` is the one
 * series Prometheus itself writes per target: its `job` matcher must name the scrape jobs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus, TOPICS } from '../../packages/bus/src/index.js';
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
        expr: t.expr ?? '',
        legend: t.legendFormat,
      })),
    ),
);

let brokers: string;
let prefix: string;
let bus: KafkaBus;
let dir: string;
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
  const env = {
    KAFKA_BROKERS: brokers,
    SHEWHART_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: uniqueName('workers'),
  };
  bus = new KafkaBus({
    brokers: brokers.split(','),
    logger: { ...console, debug: () => {}, info: () => {} },
  });
  const collector = await startService('collector', env);
  const worker = await startService('worker', { ...env, SHEWHART_DATA_DIR: dir });
  await eventually(
    'collector and worker ready',
    async () => ((await isReady(collector)) && (await isReady(worker)) ? true : undefined),
    60_000,
    100,
  );

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
}, 180_000);

afterAll(async () => {
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
    expect(check('sum by (group) (shewhart_worker_consumer_lag)')).toThrow(/has no label group/);
    expect(check('up{job="shewhart-alerts"}')).toThrow();
  });

  it.each(PROM_TARGETS)('$what', ({ what, expr, legend }) => {
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
