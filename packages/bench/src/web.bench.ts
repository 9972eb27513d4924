/**
 * `pnpm bench web [--rounds 15] [--repeats 10] [--weeks 104] [--teams 4] [--refresh-ms 2000]`: starts a real
 * server (`shewhart start --demo`, as a child process, on a fresh data directory, with the example
 * configuration's objectives and alerts) and measures the built-in web view's pages. Each round stores a
 * few new events, waits for the refresher (its baseline and signal refresh, the objectives' own series and
 * the web view's preparation: the log line `web view prepared`), then requests every page once — the
 * first request after a refresh, in a rotated order — and then each page `--repeats` times. Prints
 * p50/p95/p99/max per page for both, the server's RSS and peak RSS, and the machine's load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KPIS } from '@shewhart/kpi';
import { type DemoServer, memoryOf, startDemoServer, stop } from './demo-server.js';
import { mib, percentile } from './stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `msg` has been logged more than `after` times. */
async function waitFor(server: DemoServer, msg: string, after: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (server.count(msg) <= after) {
    if (Date.now() > until) throw new Error(`no "${msg}" within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function timed(url: string): Promise<{ ms: number; status: number; bytes: number }> {
  const started = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  return { ms: performance.now() - started, status: res.status, bytes: body.length };
}

/** The last closed quarter (`YYYY-Qn`) at `now`. */
function lastClosedQuarter(now: Date): string {
  const q = Math.floor(now.getUTCMonth() / 3);
  return q === 0 ? `${now.getUTCFullYear() - 1}-Q4` : `${now.getUTCFullYear()}-Q${q}`;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: 'string', default: '15' },
      repeats: { type: 'string', default: '10' },
      weeks: { type: 'string', default: '104' },
      teams: { type: 'string', default: '4' },
      'refresh-ms': { type: 'string', default: '2000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'pnpm bench web [--rounds 15] [--repeats 10] [--weeks 104] [--teams 4] [--refresh-ms 2000]\n' +
        'Starts `shewhart start --demo` on a fresh data directory; each round stores new events, waits for the\n' +
        "refresher and the web view's preparation, then times every page once (first after the refresh) and\n" +
        '--repeats times more. --refresh-ms is SHEWHART_BASELINE_REFRESH_MS (the quiet period before a refresh).\n',
    );
    return;
  }
  const rounds = Number(values.rounds);
  const repeats = Number(values.repeats);
  const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-web-'));
  const load0 = loadavg();
  const started = Date.now();
  const server = await startDemoServer(
    dataDir,
    ['--weeks', String(values.weeks), '--teams', String(values.teams)],
    { LOG_LEVEL: 'info', SHEWHART_BASELINE_REFRESH_MS: String(values['refresh-ms']) },
  );
  const pid = server.child.pid as number;
  try {
    process.stdout.write(
      `web: server ${server.url} (pid ${pid}) up with the demo in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
        `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${mib(totalmem())}; load average ${load0.map((l) => l.toFixed(2)).join(' ')}\n`,
    );
    // A kept pack to serve (the scheduler keeps one a few minutes after start; kept now, it is not redone).
    const quarter = lastClosedQuarter(new Date());
    const made = await fetch(`${server.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ quarter }),
    });
    if (made.status !== 201) throw new Error(`POST /v1/reports: ${made.status} ${await made.text()}`);
    // The refresher runs after the demo's load; wait for its preparation, then for quiet.
    await waitFor(server, 'web view prepared', 0, 300_000);
    let prepared = server.count('web view prepared');
    for (;;) {
      await sleep(5_000);
      if (server.count('web view prepared') === prepared) break;
      prepared = server.count('web view prepared');
    }

    // A weekly chart no one asked for before, each round: another KPI and scope, none an objective's.
    const scopes = ['', 'payments', 'mobile', 'platform', 'data'];
    const objectiveCharts = new Set([
      'lead_time_for_changes|payments',
      'defect_arrivals|mobile',
      'review_rate|data',
      'csat|',
    ]);
    const unseen: string[] = [];
    for (let i = 0; unseen.length < rounds && i < KPIS.length * scopes.length; i++) {
      const kpi = (KPIS[(i * 7) % KPIS.length] as (typeof KPIS)[number]).id;
      const team = scopes[i % scopes.length] as string;
      if (objectiveCharts.has(`${kpi}|${team}`) || `${kpi}|${team}` === 'deployment_frequency|platform')
        continue;
      unseen.push(`/charts?kpi=${kpi}${team ? `&team=${team}` : ''}`);
    }
    const pages: { name: string; path: (round: number) => string }[] = [
      { name: 'overview', path: () => '/' },
      {
        name: 'chart (an objective tile opens it)',
        path: () => '/charts?kpi=change_failure_rate&period=month&team=payments',
      },
      { name: 'chart (viewed before)', path: () => '/charts?kpi=deployment_frequency&team=platform' },
      {
        name: 'chart (a new range of a chart viewed before)',
        path: (r) =>
          `/charts?kpi=defect_arrivals&team=mobile&from=${new Date(Date.UTC(2025, 0, 1 + r)).toISOString().slice(0, 10)}`,
      },
      { name: 'chart (a series never viewed before)', path: (r) => unseen[r] as string },
      { name: 'alerts', path: () => '/alerts' },
      { name: 'review packs', path: () => '/reports' },
      { name: `pack ${quarter}`, path: () => `/reports/${quarter}` },
    ];
    const first = new Map<string, number[]>(pages.map((p) => [p.name, []]));
    const repeat = new Map<string, number[]>(pages.map((p) => [p.name, []]));
    const bytes = new Map<string, number>();
    const bad: string[] = [];
    let seq = 0;
    let peakRss = 0;
    for (let round = 0; round < rounds; round++) {
      const before = server.count('web view prepared');
      // New data: a production deployment per demo team, now (an open week: limits stay as they were).
      const now = new Date().toISOString();
      const events = ['payments', 'mobile', 'platform', 'data'].map((team) => ({
        id: `bench-web-${process.pid}-${++seq}`,
        source: 'bench/web',
        type: 'delivery.deployment',
        time: now,
        team,
        data: {
          deploymentId: `bench-web-${process.pid}-${seq}`,
          environment: 'production',
          status: 'success',
          changes: [{ changeId: `bench-web-ch-${process.pid}-${seq}`, committedAt: now }],
        },
      }));
      const posted = await fetch(`${server.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      if (posted.status !== 202) throw new Error(`POST /v1/events: ${posted.status} ${await posted.text()}`);
      await waitFor(server, 'web view prepared', before, 120_000);
      // First request of each page after the refresh (the order rotates: no page is always first).
      for (let i = 0; i < pages.length; i++) {
        const p = pages[(i + round) % pages.length] as (typeof pages)[number];
        const r = await timed(`${server.url}${p.path(round)}`);
        if (r.status !== 200) bad.push(`${p.name}: ${r.status}`);
        first.get(p.name)?.push(r.ms);
        bytes.set(p.name, r.bytes);
      }
      for (let k = 0; k < repeats; k++) {
        for (const p of pages) {
          const r = await timed(`${server.url}${p.path(round)}`);
          if (r.status !== 200) bad.push(`${p.name}: ${r.status}`);
          repeat.get(p.name)?.push(r.ms);
        }
      }
      peakRss = Math.max(peakRss, memoryOf(pid).rss);
      process.stdout.write(`  round ${round + 1}/${rounds}: RSS ${mib(memoryOf(pid).rss)}\n`);
    }
    const mem = memoryOf(pid);
    const load1 = loadavg();
    const fmt = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const f = (v: number) => v.toFixed(v < 10 ? 1 : 0);
      return `${f(percentile(s, 0.5))} / ${f(percentile(s, 0.95))} / ${f(percentile(s, 0.99))} / ${f(s.at(-1) ?? Number.NaN)}`;
    };
    process.stdout.write(
      `\n${rounds} rounds; first request after each refresh, then ${repeats} repeats per page; latency in ms (p50 / p95 / p99 / max)\n\n` +
        '| page | size | first after a refresh | repeated |\n|---|---|---|---|\n' +
        pages
          .map(
            (p) =>
              `| ${p.name} | ${Math.round((bytes.get(p.name) ?? 0) / 1024)} KiB | ${fmt(first.get(p.name) ?? [])} | ${fmt(repeat.get(p.name) ?? [])} |`,
          )
          .join('\n') +
        `\n\nserver RSS at the end ${mib(mem.rss)}, highest sampled ${mib(Math.max(peakRss, mem.rss))}, peak (VmHWM, demo load included) ${mib(mem.peak)}\n` +
        `load average at the start ${load0.map((l) => l.toFixed(2)).join(' ')}, at the end ${load1.map((l) => l.toFixed(2)).join(' ')}\n` +
        `non-200 answers: ${bad.length}${bad.length ? ` (${bad.slice(0, 5).join('; ')})` : ''}\n`,
    );
  } finally {
    await stop(server.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
