/**
 * `pnpm bench alerts [--events 10000000] [--teams 50] [--reps 3] [--deliveries 2000] [--concurrency 8]
 *  [--redis redis://127.0.0.1:6379] [--no-inline] [--data DIR]`
 *
 * 1. Evaluation: loads N synthetic events (the demo organisation laid over 520 weeks, as `pnpm bench kpi`)
 *    into a temporary embedded warehouse, builds the entity states, stores baselines and signals
 *    (`refreshAll`, weekly), then times `evaluateAlerts` with every class configured as broadly as it
 *    goes — signal alerts for every KPI and scope, objective alerts for the example objectives
 *    (infra/config/shewhart.example.yaml, P(attain) included), data-quality alerts for every KPI's
 *    organisation and team series — first run (every episode and delivery row written) and steady state
 *    (nothing new), then each class alone.
 * 2. Delivery: `--deliveries` pending delivery rows (about 1 KB bodies) are handed to BullMQ (Redis at
 *    `--redis`, a queue prefix of its own, processors in this process at `--concurrency`) and sent to a
 *    local receiver on 127.0.0.1 that checks every signature: deliveries/s until the receiver has them
 *    all, and until every row is recorded delivered. The in-process runner of the embedded default is
 *    measured the same way for comparison.
 *
 * `--data DIR` keeps the warehouse in DIR instead of a temporary directory that is removed at the end;
 * run again with the same DIR, the bench reuses the stored events, entity states and baselines (no load,
 * a few seconds instead of many minutes at 10 M) and evaluates against the alerts stored by the previous
 * run, so its "first run" is a steady state. For profiling the evaluation; `--deliveries 0` skips delivery.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type AlertsConfig,
  BullDeliveryQueue,
  type Delivery,
  type DeliveryQueue,
  evaluateAlerts,
  InlineDeliveryQueue,
  obliterateQueues,
  type Rule,
  startReceiver,
  writeDeliveries,
} from '@shewhart/alerts';
import { refreshAll } from '@shewhart/baselines';
import { Secret } from '@shewhart/config';
import { EntityStates } from '@shewhart/kpi';
import { loadObjectivesFile, ObjectiveService } from '@shewhart/objectives';
import { migrate, openWarehouse, repairDerived, type Warehouse } from '@shewhart/warehouse';
import { loadSyntheticEvents } from './kpi.bench.js';
import { mib, PeakRss, percentile } from './stats.js';

/** The history of `pnpm bench kpi` ends here; evaluation judges it as of this day. */
const END = new Date('2026-11-23T00:00:00Z');
const EXAMPLE = fileURLToPath(new URL('../../../infra/config/shewhart.example.yaml', import.meta.url));
const KEY = 'bench-signing-key';

const rule = (over: Partial<Rule> & Pick<Rule, 'id' | 'class'>): Rule => ({
  severity: 'warning',
  routes: ['bench'],
  quietPoints: 8,
  attainBelow: 0.5,
  rejectedShare: { above: 0.05, windowHours: 24, minEvents: 20 },
  lateChanges: over.class === 'data_quality',
  ...over,
});

function configFor(url: string, rules: Rule[]): AlertsConfig {
  return {
    routes: new Map([
      [
        'bench',
        {
          id: 'bench',
          type: 'webhook',
          url,
          target: url,
          secret: new Secret('BENCH', KEY),
          retry: { attempts: 8, backoffMs: 1_000 },
        },
      ],
    ]),
    rules,
  };
}

const RULES = {
  signal: [rule({ id: 'bench-signals', class: 'signal' })],
  objective: [rule({ id: 'bench-objectives', class: 'objective' })],
  data_quality: [rule({ id: 'bench-data', class: 'data_quality' })],
};

async function measureEvaluation(
  warehouse: Warehouse,
  states: EntityStates,
  url: string,
  reps: number,
): Promise<void> {
  const objectives = new ObjectiveService(states, loadObjectivesFile(EXAMPLE));
  const all = [...RULES.signal, ...RULES.objective, ...RULES.data_quality];
  const deps = (rules: Rule[]) => ({
    states,
    client: warehouse.client,
    config: configFor(url, rules),
    objectives,
    publicUrl: 'http://127.0.0.1:8080',
  });
  process.stdout.write(`\nalert evaluation (asOf ${END.toISOString().slice(0, 10)}), every class:\n`);
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const r = await evaluateAlerts(deps(all), END);
    times.push(r.ms);
    process.stdout.write(
      `  #${i + 1}: ${r.episodes} episodes, ${r.opened} opened, ${r.resolved} resolved, ${r.deliveries.length} new deliveries, ${r.failed.length} rules failed, ${r.ms} ms${i === 0 ? ' (first: every episode, delivery row and published value written)' : ''}\n`,
    );
    for (const f of r.failed) process.stdout.write(`     failed ${f.ruleId}: ${f.error}\n`);
  }
  const steady = times.slice(1).sort((a, b) => a - b);
  if (steady.length > 0)
    process.stdout.write(
      `  steady state: p50 ${percentile(steady, 0.5).toFixed(0)} ms, max ${(steady.at(-1) as number).toFixed(0)} ms\n`,
    );
  for (const [cls, rules] of Object.entries(RULES)) {
    const r = await evaluateAlerts(deps(rules), END);
    process.stdout.write(`  ${cls.padEnd(13)} alone: ${r.episodes} episodes, ${r.ms} ms\n`);
  }
}

function syntheticDeliveries(n: number, runId: string): Delivery[] {
  const alertId = createHash('sha256').update(runId).digest('hex').slice(0, 24);
  const at = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => {
    const deliveryId = createHash('sha256').update(`${runId}:${i}`).digest('hex').slice(0, 32);
    const body = JSON.stringify({
      id: deliveryId,
      alertId,
      class: 'signal',
      status: 'firing',
      severity: 'warning',
      kpi: 'change_failure_rate',
      scope: { team: 'payments', project: null },
      grain: 'week',
      periodStart: '2026-11-16',
      value: 62.5,
      limits: { center: 18.2, ucl: 54.8, lcl: 0 },
      rule: 'WE1',
      evidence: {
        kind: 'special_cause',
        title: 'Change failure rate (payments, week): a point beyond 3σ (WE1)',
        points: Array.from({ length: 6 }, (_, k) => ({ periodStart: '2026-11-16', value: 62.5, z: 3.2 + k })),
      },
      chartUrl: 'http://127.0.0.1:8080/v1/kpis/change_failure_rate/chart?period=week&team=payments',
      startedAt: at,
      resolvedAt: null,
    });
    return {
      deliveryId,
      alertId,
      transition: 'firing',
      routeId: 'bench',
      state: 'pending',
      attempts: 0,
      lastError: '',
      lastStatus: 0,
      body,
      createdAt: at,
      notBefore: at,
      updatedAt: at,
    };
  });
}

async function count(warehouse: Warehouse, table: string): Promise<number> {
  const rs = await warehouse.client.query({
    query: `SELECT count() AS n FROM ${table}`,
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

async function delivered(warehouse: Warehouse, alertId: string): Promise<number> {
  const rs = await warehouse.client.query({
    query: `SELECT countIf(state = 'delivered') AS n FROM alert_deliveries FINAL WHERE alert_id = {a:String}`,
    query_params: { a: alertId },
    format: 'JSONEachRow',
  });
  return Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
}

async function measureDelivery(
  warehouse: Warehouse,
  kind: 'bullmq' | 'inline',
  opts: { n: number; concurrency: number; redis: string },
): Promise<void> {
  const receiver = await startReceiver({ secret: KEY });
  const prefix = `shewhart-bench-${randomUUID().slice(0, 8)}`;
  const deps = { client: warehouse.client, config: configFor(`${receiver.url}/hook`, []) };
  const queue: DeliveryQueue =
    kind === 'bullmq'
      ? new BullDeliveryQueue(deps, {
          redisUrl: opts.redis,
          prefix,
          process: true,
          concurrency: opts.concurrency,
        })
      : new InlineDeliveryQueue({ ...deps, concurrency: opts.concurrency });
  try {
    const rows = syntheticDeliveries(opts.n, prefix);
    await writeDeliveries(warehouse.client, rows);
    const t0 = performance.now();
    await queue.enqueue(rows);
    const accepted = () => receiver.messages.filter((m) => m.signatureOk && !m.repeat).length;
    while (accepted() < opts.n) await new Promise((r) => setTimeout(r, 10));
    const received = (performance.now() - t0) / 1000;
    const alertId = rows[0]?.alertId as string;
    while ((await delivered(warehouse, alertId)) < opts.n) await new Promise((r) => setTimeout(r, 50));
    const recorded = (performance.now() - t0) / 1000;
    const bad = receiver.messages.filter((m) => m.signatureOk !== true).length;
    process.stdout.write(
      `  ${kind.padEnd(7)} ${opts.n} deliveries, concurrency ${opts.concurrency}: received in ${received.toFixed(2)} s = ${Math.round(opts.n / received)} deliveries/s; all recorded delivered after ${recorded.toFixed(2)} s = ${Math.round(opts.n / recorded)}/s; ${receiver.messages.length - accepted()} repeats, ${bad} bad signatures\n`,
    );
  } finally {
    await queue.close();
    await receiver.close();
    if (kind === 'bullmq') await obliterateQueues(opts.redis, prefix);
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '10000000' },
      teams: { type: 'string', default: '50' },
      reps: { type: 'string', default: '3' },
      deliveries: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '8' },
      redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      'no-inline': { type: 'boolean', default: false },
      data: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: pnpm bench alerts [--events 10000000] [--teams 50] [--reps 3] [--deliveries 2000] [--concurrency 8] [--redis URL] [--no-inline] [--data DIR]\n',
    );
    return;
  }
  const total = Number(values.events);
  const teams = Number(values.teams);
  const kept = values.data;
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'shewhart-bench-alerts-'));
  if (kept) mkdirSync(kept, { recursive: true });
  const peak = new PeakRss();
  const warehouse = await openWarehouse({ database: 'shewhart', dataDir: dir });
  try {
    await migrate(warehouse.client);
    const stored = kept ? await count(warehouse, 'events_raw') : 0;
    if (stored > 0) {
      process.stdout.write(`reusing ${dir}: ${stored} events stored (--events and --teams ignored)\n`);
    } else {
      process.stdout.write(`loading ${total} events across ${teams} teams…\n`);
      const load = await loadSyntheticEvents(warehouse.client, { total, teams });
      // Raw rows were inserted directly: derive the typed tables the KPIs read, as a start-up repair does.
      const derived = await repairDerived(warehouse.client, { lagMs: 0 });
      process.stdout.write(
        `loaded ${load.events} events in ${load.seconds.toFixed(1)} s; derived ${derived.repaired} into the typed tables\n`,
      );
    }
    const states = new EntityStates(warehouse.client).trackWrites();
    const build = await states.catchUp();
    process.stdout.write(`entity states built in ${(build.ms / 1000).toFixed(1)} s\n`);
    if (stored === 0 || (await count(warehouse, 'baselines')) === 0) {
      const t0 = performance.now();
      const refreshed = await refreshAll(states, { grains: ['week'], asOf: END });
      process.stdout.write(
        `baselines and signals stored: ${refreshed.series} series, ${refreshed.signals} signals, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    }
    const alerts = await count(warehouse, 'alerts');
    if (alerts > 0)
      process.stdout.write(`${alerts} alert rows stored by an earlier run: no first run below\n`);
    await measureEvaluation(warehouse, states, 'http://127.0.0.1:9/unused', Number(values.reps));

    process.stdout.write('\nalert delivery to a local receiver (127.0.0.1, signatures checked):\n');
    const opts = {
      n: Number(values.deliveries),
      concurrency: Number(values.concurrency),
      redis: values.redis,
    };
    if (opts.n > 0) await measureDelivery(warehouse, 'bullmq', opts);
    if (opts.n > 0 && !values['no-inline']) await measureDelivery(warehouse, 'inline', opts);
    process.stdout.write(
      `\npeak RSS ${mib(peak.stop())}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${mib(totalmem())} RAM\n`,
    );
  } finally {
    await warehouse.close();
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}
