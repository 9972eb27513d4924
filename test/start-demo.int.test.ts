/**
 * README command 1 as a newcomer runs it: `shewhart start --demo` serves the demo with the example
 * objectives (infra/config/shewhart.example.yaml), so objective status, attainment and the objective lines
 * on charts show out of the box, with baselines already computed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let child: ChildProcess;
let dataDir: string;
let url: string;
let banner = '';

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
  let stderr = '';
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
