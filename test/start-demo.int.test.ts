/**
 * README command 1 as a newcomer runs it: `shewhart start --demo` serves the demo with the example
 * objectives (infra/config/shewhart.example.yaml), so objective status, attainment and the objective lines
 * on charts show out of the box, with baselines already computed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let child: ChildProcess;
let dataDir: string;
let url: string;
let banner = '';
/** What the process logged (JSON lines at LOG_LEVEL=warn). */
let stderr = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'shewhart-start-demo-'));
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'packages/cli/src/main.ts',
      'start',
      '--demo',
      '--weeks',
      '30',
      '--data',
      dataDir,
      '--port',
      '0',
    ],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no banner after 150 s:\n${banner}\n${stderr}`)),
      150_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      banner += c.toString();
      const m = /Send events: POST (http:\/\/[^/\s]+)\/v1\/events/.exec(banner);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`start exited with ${code}:\n${banner}\n${stderr}`)));
  });
}, 180_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${url}${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

describe('start --demo', () => {
  it('starts without a warning: the example configuration is complete for the demo', () => {
    const logged = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    // pino levels: 40 warn, 50 error, 60 fatal.
    expect(logged.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it('says where its objectives come from', () => {
    expect(banner).toContain(`Objectives: ${join(root, 'infra/config/shewhart.example.yaml')}`);
  });

  it('serves the example objectives, some met and some missed, and their attainment', async () => {
    const doc = await get<{ configured: boolean; objectives: { latest: { status: string } | null }[] }>(
      '/v1/objectives',
    );
    expect(doc.configured).toBe(true);
    expect(doc.objectives.length).toBeGreaterThanOrEqual(5);
    const statuses = new Set(doc.objectives.map((o) => o.latest?.status));
    expect(statuses.has('met') || statuses.has('missed')).toBe(true);
    const attainment = await get<{ points: { value: number | null }[] }>(
      '/v1/kpis/objective_attainment?period=month',
    );
    expect(attainment.points.some((p) => p.value !== null)).toBe(true);
  });

  it('has computed baselines before the banner, and draws the objective on the chart', async () => {
    const chart = await get<{ objective: unknown; stages: unknown[] }>(
      '/v1/kpis/change_failure_rate/chart?team=payments&period=month',
    );
    expect(chart.objective).not.toBeNull();
    const baselines = await get<{ baselines: unknown[] }>('/v1/baselines');
    expect(baselines.baselines.length).toBeGreaterThan(0);
  });
});

describe('start --demo alerts', () => {
  interface Alert {
    alertId: string;
    class: string;
    kind: string;
    state: string;
    title: string;
    limits: { center: number | null; ucl: number | null } | null;
    evidence: {
      points?: { periodStart: string; value: number }[];
      objective?: { id: string };
      actual?: number;
    };
    chartPath: string;
  }
  it('has firing signal and objective alerts, each with its evidence', async () => {
    const { alerts } = await get<{ alerts: Alert[] }>('/v1/alerts?state=firing');
    const signals = alerts.filter((a) => a.class === 'signal');
    const misses = alerts.filter((a) => a.kind === 'objective_missed');
    expect(signals.length).toBeGreaterThan(0);
    expect(misses.length).toBeGreaterThan(0);
    for (const a of signals) {
      expect(a.evidence.points?.length, a.title).toBeGreaterThan(0);
      expect(a.limits?.center, a.title).toEqual(expect.any(Number));
      expect(a.chartPath).toMatch(/^\/v1\/kpis\/[a-z_]+\/chart\?period=week&team=/);
    }
    for (const a of misses) {
      expect(a.evidence.objective?.id, a.title).toEqual(expect.any(String));
      expect(a.evidence.actual, a.title).toEqual(expect.any(Number));
    }
  });

  it('signs its messages with a demo key kept in the data directory, and tells how to receive them', async () => {
    const key = join(dataDir, 'demo-alert-key');
    expect(readFileSync(key, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(banner).toContain(`shewhart receiver --data ${dataDir}`);
    // One message per firing alert to the example route, never dropped: pending while retried (no
    // receiver in this test), delivered, or listed as failed.
    const { alerts } = await get<{ alerts: Alert[] }>('/v1/alerts?state=firing');
    const { deliveries } = await get<{ deliveries: { alertId: string; routeId: string; state: string }[] }>(
      '/v1/alerts/deliveries',
    );
    const firing = new Set(alerts.map((a) => a.alertId));
    expect(deliveries.filter((d) => firing.has(d.alertId))).toHaveLength(firing.size);
    expect(new Set(deliveries.map((d) => d.routeId))).toEqual(new Set(['quality-team']));
  });
});

/** The README's code blocks: what a newcomer copies after command 1. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  // Continuation lines (a POST body over several lines) are joined to their command.
  return blocks.flatMap((b) => b.replace(/'[^']*'/g, (q) => q.replace(/\n\s*/g, ' ')).split('\n'));
}

describe("the README's examples on the demo", () => {
  it('answers every curl example (GET 200, the POST 202)', async () => {
    const curls = readmeExamples().filter((l) => l.startsWith('curl '));
    expect(curls.length).toBeGreaterThanOrEqual(2);
    for (const line of curls) {
      const target = /(http:\/\/127\.0\.0\.1:8080)(\/[^'\s]*)/.exec(line);
      expect(target, line).not.toBeNull();
      const path = (target as RegExpExecArray)[2] as string;
      const body = /-d '([^']*)'/.exec(line)?.[1];
      const res = await fetch(`${url}${path}`, {
        method: body ? 'POST' : 'GET',
        ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
      });
      expect(res.status, `${line} → ${await res.clone().text()}`).toBe(body ? 202 : 200);
    }
  });

  it('runs every shewhart example against the running server, exit 0 and some output', async () => {
    const commands = readmeExamples()
      // `receiver` serves until stopped (it is the demo's second terminal).
      .filter((l) => l.startsWith('npx -y pnpm@10 shewhart ') && !/ start\b| demo\b| receiver\b/.test(l))
      .map((l) => l.replace('npx -y pnpm@10 shewhart ', '').split(/\s+/));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const args of commands) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'packages/cli/src/main.ts', ...args, '--data', dataDir],
        { cwd: root, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } },
      );
      expect(stdout.trim().length, args.join(' ')).toBeGreaterThan(0);
      expect(stdout, args.join(' ')).not.toMatch(/no data in this range/);
    }
  });

  it('links only to files the repository has', () => {
    const docs = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)];
    for (const doc of docs.filter((d) => d.endsWith('.md'))) {
      const text = readFileSync(join(root, doc), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
        expect(existsSync(join(root, dirname(doc), target)), `${doc} → ${target}`).toBe(true);
      }
      expect(text, doc).not.toMatch(/\.\.\/shared|shared\/docs/);
    }
  });
});
