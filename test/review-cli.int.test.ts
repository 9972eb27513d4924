import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemo } from '@shewhart/cli/demo';
import { lastClosedQuarter } from '@shewhart/report';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `shewhart report`, `shewhart review action …` and `shewhart compare --kpi` as an operator runs them: the
 * real CLI in a child process on a data directory holding a short demo history (40 weeks, 2 teams).
 */
const dir = mkdtempSync(join(tmpdir(), 'shewhart-review-cli-'));
const data = join(dir, 'data');
const out = join(dir, 'out');
const quarter = lastClosedQuarter(new Date()).id;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      SHEWHART_DATA_DIR: data,
      SHEWHART_CONFIG: 'test/fixtures/review-objectives.yaml',
      LOG_LEVEL: 'error',
    },
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  const r = cli('demo', '--weeks', '40', '--teams', '2');
  expect(r.code, r.err).toBe(0);
}, 300_000);

describe('shewhart report', () => {
  it('writes the JSON pack: every 9.3.2 input in order, the command in its provenance, progress on stderr', () => {
    const r = cli('report', '--quarter', quarter, '--format', 'json', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`kept as ${quarter}`);
    expect(r.err).toMatch(/review pack/);
    const pack = JSON.parse(readFileSync(join(out, `review-${quarter}.json`), 'utf8'));
    expect(pack.sections.map((s: { id: string }) => s.id)).toEqual([
      'a',
      'b',
      'c1',
      'c2',
      'c3',
      'c4',
      'c5',
      'c6',
      'c7',
      'd',
      'e',
      'f',
    ]);
    expect(pack.provenance.command).toBe(`shewhart report --quarter ${quarter} --format json --out ${out}`);
  }, 300_000);

  it('writes Markdown with its charts beside it, and a self-contained HTML file', () => {
    const md = cli('report', '--quarter', quarter, '--team', 'payments', '--format', 'md', '--out', out);
    expect(md.code, md.err).toBe(0);
    const text = readFileSync(join(out, `review-${quarter}.payments.md`), 'utf8');
    const charts = [...text.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1] as string);
    expect(charts.length).toBeGreaterThan(0);
    for (const c of charts) expect(existsSync(join(out, c)), c).toBe(true);
    expect(text.indexOf('## 9.3.2 a)')).toBeLessThan(text.indexOf('## 9.3.2 f)'));
    const html = cli('report', '--quarter', quarter, '--format', 'html', '--out', out);
    expect(html.code, html.err).toBe(0);
    const page = readFileSync(join(out, `review-${quarter}.html`), 'utf8');
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<script|<link |src="http/);
  }, 300_000);

  it('refuses a malformed quarter or format with a clear message', () => {
    expect(cli('report', '--quarter', '2026-3').err).toContain('quarter must look like 2026-Q3');
    expect(cli('report', '--quarter', quarter, '--format', 'pdf').err).toContain(
      '--format must be html, md or json',
    );
  });
});

describe('shewhart review action', () => {
  it('adds, updates and lists the actions of a review; the next pack shows them in section a', () => {
    const add = cli(
      'review',
      'action',
      'add',
      '--quarter',
      '2026-Q1',
      '--kind',
      'resources',
      '--title',
      'Hire a second SRE',
      '--owner',
      'cto',
      '--due',
      '2026-06-30',
      '--format',
      'json',
    );
    expect(add.code, add.err).toBe(0);
    const [action] = JSON.parse(add.out).actions as { id: string; status: string }[];
    expect(action?.status).toBe('open');
    const upd = cli(
      'review',
      'action',
      'update',
      action?.id as string,
      '--status',
      'done',
      '--format',
      'json',
    );
    expect(upd.code, upd.err).toBe(0);
    expect(JSON.parse(upd.out).actions[0]).toMatchObject({ id: action?.id, status: 'done', revision: 2 });
    const list = cli('review', 'action', 'list', '--quarter', '2026-Q1');
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain('Hire a second SRE');
    expect(
      cli('review', 'action', 'add', '--quarter', '2026-Q1', '--kind', 'wish', '--title', 't', '--owner', 'o')
        .err,
    ).toContain('--kind');
    expect(cli('review', 'action', 'update', 'ra-0000000000', '--status', 'done').err).toContain(
      'no review action ra-0000000000',
    );
    const r = cli('report', '--quarter', quarter, '--format', 'json', '--out', out);
    expect(r.code, r.err).toBe(0);
    const pack = JSON.parse(readFileSync(join(out, `review-${quarter}.json`), 'utf8'));
    const a = pack.sections[0].blocks.find((b: { id?: string }) => b.id === 'previous-actions');
    expect(a.rows).toEqual([expect.objectContaining({ id: action?.id, status: 'done', kind: 'resources' })]);
  }, 300_000);
});

describe('shewhart compare --kpi', () => {
  it("runs the before/after tests on a KPI's stored series around the demo's process change", () => {
    const events = [...generateDemo({ weeks: 40, teams: 2, seed: 42 })];
    const change = new Date(events.find((e) => e.type === 'process.changed')?.time as string);
    const day = (d: Date, days: number) =>
      new Date(d.getTime() + days * 86_400_000).toISOString().slice(0, 10);
    const before = `${day(change, -7 * 23)}..${day(change, -7)}`;
    const after = `${day(change, 7)}..${day(change, 7 * 15)}`;
    const r = cli(
      'compare',
      '--kpi',
      'lead_time_for_changes',
      '--team',
      'payments',
      '--before',
      before,
      '--after',
      after,
      '--format',
      'json',
    );
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.kpi).toBe('lead_time_for_changes');
    expect(doc.scope.team).toBe('payments');
    expect(doc.n.after).toBeGreaterThanOrEqual(8);
    expect(doc.evidence.direction).toBe('lower');
    expect(doc.evidence.minEffect).toBe(8); // the objective's minimum practical effect
    expect(doc.verdict).toBe('improved');
    const table = cli(
      'compare',
      '--kpi',
      'lead_time_for_changes',
      '--team',
      'payments',
      '--before',
      before,
      '--after',
      after,
      '--format',
      'table',
    );
    expect(table.out).toContain('Verdict      improved');
    expect(
      cli('compare', '--kpi', 'lead_time_for_changes', '--before', '2026-01-01', '--after', after).err,
    ).toContain('--before must be FROM..TO');
  }, 300_000);
});
