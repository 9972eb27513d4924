/**
 * `pnpm bench kpi [--events 10000000] [--teams 50] [--reps 30] [--kpis a,b,c]`
 *
 * Loads N realistic synthetic events (the demo generator's payloads, several seeds laid over the same
 * history, every id rewritten per seed so entities stay distinct) straight into a temporary embedded
 * warehouse with the real migrations, so the materialized views fill the typed per-family tables exactly
 * as live ingest does. Then measures the latency of weekly KPI queries through `queryKpi` (the code path
 * of `GET /v1/kpis/:id`) for one team and for the whole organisation: the full history, and the last 13
 * weeks (a dashboard's range), each repeated `--reps` times after one warm-up.
 *
 * Only queries are measured. The full baseline/signal refresh lives elsewhere; `loadSyntheticEvents` and
 * `measureKpiQueries` are exported so a refresh benchmark can reuse the same loaded warehouse and time its
 * `refreshAll` beside these figures.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { refreshAll } from '@shewhart/baselines';
import { type DemoEvent, generateDemo, teamNames } from '@shewhart/cli/demo';
import { EntityStates, queryKpi } from '@shewhart/kpi';
import { type EventRow, migrate, openWarehouse, toEventRow, type Warehouse } from '@shewhart/warehouse';
import { mib, PeakRss, percentile } from './stats.js';

type ClickHouseClient = Warehouse['client'];

const DEFAULT_KPIS = [
  'change_failure_rate',
  'lead_time_for_changes',
  'deployment_frequency',
  'on_time_delivery',
  'defect_arrivals',
  'defect_escape_rate',
  'defect_backlog',
  'defect_resolution_time',
  'review_effectiveness',
  'capa_closure_time',
  'csat',
];

/** Fields holding entity ids in the demo payloads: prefixed per seed so seeds never share an entity. */
const ID_FIELDS = [
  'defectId',
  'releaseId',
  'releaseFoundIn',
  'deploymentId',
  'causedByDeploymentId',
  'incidentId',
  'reviewId',
  'workProductId',
  'capaId',
  'complaintId',
  'changeId',
];

const WEEKS = 520;
/** Every seed's history ends here, so the generated data never depends on the day the bench runs. */
const END = new Date('2026-11-23T00:00:00Z');

function rewrite(e: DemoEvent, seed: number): DemoEvent {
  const prefix = `b${seed}:`;
  const data: Record<string, unknown> = { ...e.data };
  for (const f of ID_FIELDS) if (typeof data[f] === 'string') data[f] = prefix + data[f];
  if (Array.isArray(data.changes)) {
    data.changes = (data.changes as { changeId: string }[]).map((c) => ({
      ...c,
      changeId: prefix + c.changeId,
    }));
  }
  return { ...e, id: `${prefix}${e.id}`, data };
}

/** Streams `total` events into `events_raw` in batches; returns the events inserted and the seconds taken. */
export async function loadSyntheticEvents(
  client: ClickHouseClient,
  opts: { total: number; teams: number; batch?: number; onProgress?: (n: number) => void },
): Promise<{ events: number; seconds: number }> {
  const batchSize = opts.batch ?? 100_000;
  let inserted = 0;
  let batch: EventRow[] = [];
  const started = performance.now();
  const flush = async () => {
    if (batch.length === 0) return;
    await client.insert({ table: 'events_raw', values: batch, format: 'JSONEachRow' });
    inserted += batch.length;
    batch = [];
    opts.onProgress?.(inserted);
  };
  for (let seed = 1; inserted + batch.length < opts.total; seed++) {
    for (const e of generateDemo({ weeks: WEEKS, teams: opts.teams, seed, end: END })) {
      batch.push(toEventRow(rewrite(e, seed) as never));
      if (batch.length >= batchSize) await flush();
      if (inserted + batch.length >= opts.total) break;
    }
  }
  await flush();
  return { events: inserted, seconds: (performance.now() - started) / 1000 };
}

export interface QueryFigure {
  kpi: string;
  scope: string;
  range: string;
  points: number;
  p50: number;
  p95: number;
}

/** Times `reps` runs (after one warm-up) of each weekly KPI query for each scope and range. */
export async function measureKpiQueries(
  states: EntityStates,
  opts: { kpis: string[]; team: string; reps: number; asOf: string; from: string },
): Promise<QueryFigure[]> {
  const figures: QueryFigure[] = [];
  const scopes = [
    ['org', {}],
    [`team ${opts.team}`, { team: opts.team }],
  ] as const;
  const ranges = [
    ['full history', {}],
    ['last 13 weeks', { from: opts.from }],
  ] as const;
  for (const kpi of opts.kpis) {
    for (const [scope, s] of scopes) {
      for (const [range, r] of ranges) {
        const q = { period: 'week', asOf: opts.asOf, ...s, ...r };
        const warm = await queryKpi(states, kpi, q);
        const times: number[] = [];
        for (let i = 0; i < opts.reps; i++) {
          const t0 = performance.now();
          await queryKpi(states, kpi, q);
          times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        const f = {
          kpi,
          scope,
          range,
          points: warm.points.length,
          p50: percentile(times, 0.5),
          p95: percentile(times, 0.95),
        };
        figures.push(f);
        process.stdout.write(
          `  ${kpi.padEnd(24)} ${scope.padEnd(14)} ${range.padEnd(14)} ${String(f.points).padStart(4)} pts  p50 ${f.p50.toFixed(1).padStart(7)} ms  p95 ${f.p95.toFixed(1).padStart(7)} ms\n`,
        );
      }
    }
  }
  return figures;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '10000000' },
      teams: { type: 'string', default: '50' },
      reps: { type: 'string', default: '30' },
      kpis: { type: 'string', default: DEFAULT_KPIS.join(',') },
      'no-refresh': { type: 'boolean', default: false },
      'refresh-reps': { type: 'string', default: '3' },
      increment: { type: 'string', default: '2000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: pnpm bench kpi [--events 10000000] [--teams 50] [--reps 30] [--kpis id,id,...] [--no-refresh] [--refresh-reps 3] [--increment 2000]\n',
    );
    return;
  }
  const total = Number(values.events);
  const teams = Number(values.teams);
  const reps = Number(values.reps);
  const dir = mkdtempSync(join(tmpdir(), 'shewhart-bench-kpi-'));
  const peak = new PeakRss();
  const warehouse = await openWarehouse({ database: 'shewhart', dataDir: dir });
  try {
    await migrate(warehouse.client);
    process.stdout.write(`loading ${total} events across ${teams} teams (${WEEKS} weeks per seed)…\n`);
    let shown = 0;
    const load = await loadSyntheticEvents(warehouse.client, {
      total,
      teams,
      onProgress: (n) => {
        if (n - shown >= 1_000_000) {
          shown = n;
          process.stdout.write(`  ${n} events\n`);
        }
      },
    });
    process.stdout.write(
      `loaded ${load.events} events in ${load.seconds.toFixed(1)} s = ${Math.round(load.events / load.seconds)} events/s (raw insert + materialized views)\n`,
    );
    // As in the embedded runtime: this process is the only writer and notes what it stores.
    const states = new EntityStates(warehouse.client).trackWrites();
    const build = await states.catchUp();
    process.stdout.write(
      `entity states built in ${(build.ms / 1000).toFixed(1)} s (first catch-up: every entity folded once)\n`,
    );
    await printTableSizes(warehouse.client);
    await measureCatchUps(states, { events: Number(values.increment), teams, reps: 5 });
    const team = teamNames(teams)[Math.min(5, teams - 1)] as string;
    const from = new Date(END.getTime() - 13 * 7 * 86_400_000).toISOString().slice(0, 10);
    process.stdout.write(
      `\nweekly KPI queries (asOf ${END.toISOString().slice(0, 10)}), ${reps} runs each:\n`,
    );
    await measureKpiQueries(states, {
      kpis: values.kpis.split(',').filter(Boolean),
      team,
      reps,
      asOf: END.toISOString(),
      from,
    });
    if (!values['no-refresh']) {
      // The full baseline/signal refresh: every KPI for the organisation and each team, weekly.
      const times: number[] = [];
      for (let i = 0; i < Number(values['refresh-reps']); i++) {
        const t0 = performance.now();
        const r = await refreshAll(states, { grains: ['week'], asOf: END });
        times.push(performance.now() - t0);
        process.stdout.write(
          `\nfull baseline/signal refresh #${i + 1}: ${r.series} series, ${r.newVersions} new baseline versions, ${r.signals} signals, ${r.failed.length} failed, ${(times.at(-1) as number).toFixed(0)} ms\n`,
        );
      }
      times.sort((a, b) => a - b);
      process.stdout.write(
        `full refresh: p50 ${percentile(times, 0.5).toFixed(0)} ms, p95 ${percentile(times, 0.95).toFixed(0)} ms (first run also stores every baseline)\n`,
      );
    }
    process.stdout.write(
      `\npeak RSS ${mib(peak.stop())}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${mib(totalmem())} RAM\n`,
    );
  } finally {
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The incremental catch-up a query pays after new events: `events` more events (ids of seed 1's entities,
 * so most touch stored entities, as late events and lifecycle updates do), stored, then one catch-up.
 */
async function measureCatchUps(
  states: EntityStates,
  opts: { events: number; teams: number; reps: number },
): Promise<void> {
  const source = [...generateDemo({ weeks: WEEKS, teams: opts.teams, seed: 1, end: END })];
  const times: number[] = [];
  for (let r = 0; r < opts.reps; r++) {
    const rows: EventRow[] = [];
    for (let i = 0; i < opts.events; i++) {
      const e = rewrite(source[((r * opts.events + i) * 7) % source.length] as DemoEvent, 1);
      rows.push(toEventRow({ ...e, id: `inc${r}:${i}:${e.id}` } as never));
    }
    await states.client.insert({ table: 'events_raw', values: rows, format: 'JSONEachRow' });
    states.noteWrite();
    const report = await states.catchUp();
    times.push(report.ms);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(
    `incremental catch-up after ${opts.events} new events: p50 ${percentile(times, 0.5).toFixed(0)} ms, max ${(times.at(-1) as number).toFixed(0)} ms (${opts.reps} runs)\n`,
  );
}

async function printTableSizes(client: ClickHouseClient): Promise<void> {
  const rs = await client.query({
    query: `SELECT table, sum(rows) AS rows, count() AS parts, sum(bytes_on_disk) AS bytes
            FROM system.parts WHERE active AND database = currentDatabase()
              AND (table IN ('events_raw', 'defect_events', 'delivery_events', 'quality_events') OR table LIKE '%\\_state')
            GROUP BY table ORDER BY table`,
    format: 'JSONEachRow',
  });
  for (const r of await rs.json<{ table: string; rows: string; parts: string; bytes: string }>()) {
    process.stdout.write(
      `  ${r.table.padEnd(16)} ${String(r.rows).padStart(10)} rows  ${String(r.parts).padStart(3)} parts  ${mib(Number(r.bytes))}\n`,
    );
  }
}
