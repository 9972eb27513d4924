/**
 * `pnpm bench freshness [--events 100] [--load 0] [--poll-ms 10]`: from event to dashboard panel on the
 * embedded default. Starts the real embedded runtime (collector, worker, chDB, the KPI views, the example
 * configuration) on a fresh data directory, then sends `--events` probe defects one at a time through
 * `POST /v1/events` and, after each, runs the *Defects and containment* dashboard's arrivals panel SQL
 * (expanded as the Grafana ClickHouse plugin does, daily grain, the probe team) every `--poll-ms` until
 * the panel counts it. Prints the delay from the POST to the panel p50/p95/p99/max, the process's RSS and
 * peak, and the machine's load. `--load R` adds R background events/s of other teams while measuring
 * (open loop, batches every 100 ms), to see freshness under ingest.
 *
 * The panel hides open periods (today's day is open); the probe query keeps them, which is the only
 * change from the committed panel SQL: an open day is how fast a live panel *could* show an event.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, loadConfig } from '@shewhart/config';
import { type DashboardJson, expandQuery, GENERATED_DIR, panelsOf } from '@shewhart/dashboards';
import { startEmbedded } from '@shewhart/runtime';
import { mib, PeakRss, percentile } from './stats.js';

const EXAMPLE = new URL('../../../infra/config/shewhart.example.yaml', import.meta.url).pathname;
const TEAM = 'freshness-probe';

function arrivalsPanelSql(): string {
  const defects = JSON.parse(
    readFileSync(join(GENERATED_DIR, 'shewhart-defects.json'), 'utf8'),
  ) as DashboardJson;
  const sql = panelsOf(defects).find((p) => p.targets?.[0]?.rawSql?.includes('kpi_defect_arrivals_'))
    ?.targets?.[0]?.rawSql;
  if (!sql) throw new Error('the defects dashboard has no arrivals panel (kpi_defect_arrivals_*)');
  if (!sql.includes('WHERE open = 0')) throw new Error('the arrivals panel no longer filters open periods');
  return sql.replace('WHERE open = 0', 'WHERE 1');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string', default: '100' },
      load: { type: 'string', default: '0' },
      'poll-ms': { type: 'string', default: '10' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('pnpm bench freshness [--events 100] [--load 0] [--poll-ms 10]\n');
    return;
  }
  const events = Number(values.events);
  const load = Number(values.load);
  const pollMs = Number(values['poll-ms']);
  const panelSql = arrivalsPanelSql();
  process.env.SHEWHART_DEMO_ALERT_KEY ??= 'bench-demo-alert-key';
  const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-bench-freshness-'));
  const peak = new PeakRss();
  const load0 = loadavg();
  const runtime = await startEmbedded({
    config: loadConfig({ SHEWHART_DATA_DIR: dataDir, PORT: '0', SHEWHART_CONFIG: EXAMPLE }),
    logger: createLogger('warn', { pretty: false }),
    internalToken: true,
    exampleConfig: true,
  });
  const client = runtime.storage.warehouse.client;
  const headers = {
    'content-type': 'application/json',
    authorization: `Bearer ${runtime.internalToken}`,
  };
  let seq = 0;
  const post = async (body: unknown[]) => {
    const res = await fetch(`${runtime.url}/v1/events`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
  };
  const defect = (team: string) => ({
    id: `fresh-${process.pid}-${++seq}`,
    source: 'bench/freshness',
    type: 'defect.reported',
    time: new Date().toISOString(),
    team,
    data: { defectId: `fresh-${seq}`, severity: 'minor', detectionActivity: 'system_test' },
  });
  const shown = async (): Promise<number> => {
    const now = new Date();
    const sql = expandQuery(panelSql, {
      from: new Date(now.getTime() - 2 * 86_400_000),
      to: new Date(now.getTime() + 86_400_000),
      intervalMs: 3_600_000,
      variables: {
        team: { value: TEAM },
        project: { value: '$__all', allValue: '*' },
        grain: { value: 'day' },
      },
    });
    const rs = await client.query({ query: sql, format: 'JSONEachRow' }).catch((error: Error) => {
      // A new data directory has no state tables until the first catch-up, a moment after start.
      if (/UNKNOWN_TABLE|Unknown table/.test(error.message)) return undefined;
      throw error;
    });
    if (!rs) return 0;
    const rows = await rs.json<Record<string, unknown>>();
    return rows.reduce((sum, r) => sum + Number(r.defect_arrivals ?? 0), 0);
  };

  // Background ingest: R events/s of other teams, in batches every 100 ms, while the probes run.
  let background = 0;
  let stopping = false;
  const backgroundLoop = (async () => {
    if (load <= 0) return;
    const perTick = Math.max(1, Math.round(load / 10));
    while (!stopping) {
      const started = performance.now();
      await post(Array.from({ length: perTick }, (_, i) => defect(`load-${i % 8}`)));
      background += perTick;
      await sleep(Math.max(0, 100 - (performance.now() - started)));
    }
  })();

  try {
    // Warm up: the first catch-up creates the state tables.
    await post([defect(TEAM)]);
    while ((await shown()) < 1) await sleep(pollMs);
    const delays: number[] = [];
    const startedAll = performance.now();
    for (let i = 2; i <= events + 1; i++) {
      const sent = performance.now();
      await post([defect(TEAM)]);
      const deadline = Date.now() + 60_000;
      while ((await shown()) < i) {
        if (Date.now() > deadline) throw new Error(`probe ${i - 1} not on the panel after 60 s`);
        await sleep(pollMs);
      }
      delays.push(performance.now() - sent);
      if ((i - 1) % 20 === 0) process.stderr.write(`  ${i - 1}/${events} probes\n`);
    }
    const seconds = (performance.now() - startedAll) / 1000;
    stopping = true;
    await backgroundLoop;
    delays.sort((a, b) => a - b);
    const ms = (x: number) => `${Math.round(x)} ms`;
    const load1 = loadavg();
    process.stdout.write(
      [
        `freshness, event → panel (embedded default, defects dashboard arrivals panel SQL, polled every ${pollMs} ms)`,
        `  probes: ${delays.length} in ${seconds.toFixed(1)} s; ${load > 0 ? `background ${background} events, ${(background / seconds).toFixed(0)}/s achieved of ${load}/s asked` : 'no background load'}`,
        `  p50 ${ms(percentile(delays, 0.5))}  p95 ${ms(percentile(delays, 0.95))}  p99 ${ms(percentile(delays, 0.99))}  max ${ms(delays.at(-1) as number)}`,
        `  memory: RSS ${mib(process.memoryUsage.rss())}, peak ${mib(peak.stop())}`,
        `  machine: ${cpus().length} cores, ${mib(totalmem())}; load average ${load0[0]?.toFixed(2)} before, ${load1[0]?.toFixed(2)} after`,
        '',
      ].join('\n'),
    );
  } finally {
    stopping = true;
    await backgroundLoop.catch(() => undefined);
    await runtime.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
