import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refreshAll } from '@shewhart/baselines';
import { generateDemo } from '@shewhart/cli/demo';
import { loadObjectivesFile, ObjectiveService, seriesQuery } from '@shewhart/objectives';
import { PackScheduler, refreshObjectiveSeries } from '@shewhart/report';
import { queryKpiBatch, WebView } from '@shewhart/web';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, visit } from './support/browser.js';
import { startTestRuntime } from './support/embedded.js';

/**
 * The quarterly review pack and the built-in web view on the demo (104 weeks, 4 teams, seed 42, ending on
 * a fixed Monday), with the example objectives: the pack's numbers are the KPI API's, every ISO 9001
 * 9.3.2 input is there in order, the payments team's process change has its improvement verdict, review
 * actions feed the next pack; every page and the HTML pack open in a real browser (Debian's chromium)
 * with no console error, no failed request and no request leaving the server.
 */
const END = new Date('2026-11-23T00:00:00Z');
const QUARTER = '2026-Q3';
const CONFIG = 'test/fixtures/review-objectives.yaml';
const AS_OF = '2026-10-01T00:00:00.000Z';
const SECTIONS = ['a', 'b', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'd', 'e', 'f'];
let rt: Awaited<ReturnType<typeof startTestRuntime>>;
let browser: Browser;

interface Table {
  kind: 'table';
  id: string;
  rows: Record<string, unknown>[];
}
interface Pack {
  id: string;
  quarter: string;
  team: string | null;
  generatedAt: string;
  sections: { id: string; title: string; blocks: ({ kind: string } & Partial<Table>)[] }[];
  provenance: {
    command: string;
    asOf: string;
    events: { type: string; total: number }[];
    baselines: unknown[];
    formulas: unknown[];
  };
}

const post = (path: string, body: unknown) =>
  fetch(`${rt.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2;
}

function table(pack: Pack, id: string): Table {
  for (const s of pack.sections)
    for (const b of s.blocks) if (b.kind === 'table' && b.id === id) return b as Table;
  throw new Error(`no table ${id} in the pack`);
}

beforeAll(async () => {
  rt = await startTestRuntime({ SHEWHART_CONFIG: CONFIG });
  const events = [...generateDemo({ weeks: 104, teams: 4, seed: 42, end: END })];
  for (let i = 0; i < events.length; i += 5_000)
    expect((await rt.post(events.slice(i, i + 5_000))).status).toBe(202);
  // Baselines and signals are stored by a refresh (charts only read them), as `start --demo` does.
  await refreshAll(rt.storage.states, { grains: ['week'] });
  // …and the objectives' own series (monthly, quarterly), as the refresher does after each refresh.
  await refreshObjectiveSeries(rt.storage.states, loadObjectivesFile(CONFIG));
  browser = await launchBrowser();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await rt?.dispose();
});

describe('the review pack', () => {
  let pack: Pack;
  beforeAll(async () => {
    const res = await post('/v1/reports', { quarter: QUARTER });
    expect(res.status).toBe(201);
    pack = (await res.json()) as Pack;
  }, 300_000);

  it('has every ISO 9001 9.3.2 input, in order, and its provenance', () => {
    expect(pack.id).toBe(QUARTER);
    expect(pack.sections.map((s) => s.id)).toEqual(SECTIONS);
    expect(pack.provenance.asOf).toBe(AS_OF);
    expect(pack.provenance.events.find((e) => e.type === 'process.changed')?.total).toBe(1);
    expect(pack.provenance.baselines.length).toBeGreaterThan(0);
    expect(pack.provenance.formulas.length).toBeGreaterThan(0);
    // Inputs only people can give are labelled placeholders, not blanks.
    const d = pack.sections.find((s) => s.id === 'd');
    expect(d?.blocks.map((b) => b.kind)).toEqual(['placeholder']);
  });

  it('reports the numbers of the KPI API (every trend row, every quarter)', async () => {
    for (const id of ['customer-trend', 'conformity-trend', 'capa-trend', 'phase-containment']) {
      const t = table(pack, id);
      expect(t.rows.length).toBeGreaterThan(0);
      for (const row of t.rows) {
        const res = await fetch(`${rt.url}${row.source as string}`);
        expect(res.status).toBe(200);
        const api = (await res.json()) as { points: { periodStart: string; value: number | null }[] };
        for (const q of ['2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3']) {
          const start = `${q.slice(0, 4)}-${String((Number(q.at(-1)) - 1) * 3 + 1).padStart(2, '0')}-01`;
          expect(row[q], `${row.kpi} ${q}`).toBe(
            api.points.find((p) => p.periodStart === start)?.value ?? null,
          );
        }
      }
    }
    // CSAT of the quarter, asked the way a user would.
    const csat = table(pack, 'customer-trend').rows.find((r) => r.kpi === 'csat');
    const res = await fetch(
      `${rt.url}/v1/kpis/csat?period=quarter&from=2026-07-01&to=2026-07-01&asOf=${AS_OF}`,
    );
    const [point] = ((await res.json()) as { points: { value: number }[] }).points;
    expect(csat?.[QUARTER]).toBe(point?.value);
  });

  it("judges the payments team's process change at the grain of each objective", async () => {
    const verdicts = table(pack, 'improvement-verdicts').rows;
    // Change failure rate is judged per month (its objective's period): the change of 2026-02-09 starts
    // the March stage, and by the end of Q3 seven months have closed, one short of the eight needed.
    const cfr = verdicts.find((v) => v.kpi === 'change_failure_rate' && v.scope === 'payments');
    expect(cfr).toMatchObject({ grain: 'month', stageFrom: '2026-03-01', nAfter: 7 });
    expect(cfr?.verdict).toBe('insufficient-data');
    expect(cfr?.reasons).toContain('only 7 closed point(s) after the change');
    // Lead time is judged per week (its objective's period): improved on all three criteria.
    const lt = verdicts.find((v) => v.kpi === 'lead_time_for_changes' && v.scope === 'payments');
    expect(lt).toMatchObject({ grain: 'week', stageFrom: '2026-02-09' });
    expect(lt?.verdict).toBe('improved');
    expect(lt?.nAfter as number).toBeGreaterThanOrEqual(8);
    expect(lt?.pOneSided as number).toBeLessThan(0.05);
    expect(lt?.effect as number).toBeGreaterThanOrEqual(8); // the objective's minimum practical effect
    expect(lt?.spcRules).not.toBe('');
    // The medians are those of the chart API's points of the same series, as of the quarter's end.
    for (const v of [cfr, lt]) {
      const doc = (await (
        await fetch(
          `${rt.url}/v1/kpis/${v?.kpi}/chart?team=payments&period=${v?.grain}&to=2026-09-30&asOf=${AS_OF}`,
        )
      ).json()) as {
        stages: { from: string }[];
        points: { value: number; stage: number; open?: boolean }[];
      };
      const k = doc.stages.findIndex((s) => s.from === v?.stageFrom);
      const after = doc.points.filter((p) => p.stage === k && !p.open).map((p) => p.value);
      expect(after).toHaveLength(v?.nAfter as number);
      expect(v?.medianAfter).toBe(median(after));
    }
  });

  it('evaluates the objectives, with a seeded prediction', () => {
    const rows = table(pack, 'objective-attainment').rows;
    expect(rows.map((r) => r.objective)).toContain('payments-lead-time');
    for (const r of rows) expect(r.evaluable as number).toBeGreaterThanOrEqual(r.met as number);
    const prediction = table(pack, 'objective-prediction').rows.find(
      (r) => r.objective === 'payments-lead-time',
    );
    expect(prediction?.method).toBe('bootstrap');
    expect(prediction?.pPeriod as number).toBeGreaterThan(0.5);
  });

  it('gives the same numbers for the same command on the same data', async () => {
    const again = (await (await post('/v1/reports', { quarter: QUARTER })).json()) as Pack;
    const strip = (p: Pack) =>
      JSON.stringify({ ...p, generatedAt: '', provenance: { ...p.provenance, generatedAt: '' } });
    expect(strip(again)).toBe(strip(pack));
  }, 300_000);

  it('keeps packs and serves them', async () => {
    const list = (await (await fetch(`${rt.url}/v1/reports`)).json()) as {
      reports: { id: string; generations: number }[];
    };
    expect(list.reports.find((r) => r.id === QUARTER)?.generations).toBeGreaterThanOrEqual(1);
    const one = (await (await fetch(`${rt.url}/v1/reports/${QUARTER}`)).json()) as Pack;
    expect(one.sections.map((s) => s.id)).toEqual(SECTIONS);
    expect((await fetch(`${rt.url}/v1/reports/2019-Q1`)).status).toBe(404);
    expect((await fetch(`${rt.url}/v1/reports/not-a-quarter`)).status).toBe(400);
    expect((await post('/v1/reports', { quarter: '2026-Q5' })).status).toBe(400);
  });

  it('records review actions against a review and shows them in section a of the next pack', async () => {
    const res = await post('/v1/review-actions', {
      quarter: '2026-Q2',
      kind: 'improvement',
      title: 'Pilot canary analysis for mobile',
      owner: 'mobile-lead',
      due: '2026-08-31',
    });
    expect(res.status).toBe(201);
    const action = (await res.json()) as { id: string; status: string; revision: number };
    expect(action.status).toBe('open');
    const patched = await fetch(`${rt.url}/v1/review-actions/${action.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'in_progress', note: 'two of four services done' }),
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { revision: number }).revision).toBe(2);
    expect(
      (await post('/v1/review-actions', { quarter: '2026-Q2', kind: 'nonsense', title: 'x', owner: 'y' }))
        .status,
    ).toBe(400);
    expect(
      (
        await fetch(`${rt.url}/v1/review-actions/ra-0000000000`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: '{"status":"done"}',
        })
      ).status,
    ).toBe(404);
    const listed = (await (await fetch(`${rt.url}/v1/review-actions?quarter=2026-Q2`)).json()) as {
      actions: { id: string }[];
    };
    expect(listed.actions.map((a) => a.id)).toEqual([action.id]);
    const next = (await (await post('/v1/reports', { quarter: QUARTER })).json()) as Pack;
    const a = table(next, 'previous-actions').rows;
    expect(a).toEqual([
      expect.objectContaining({
        id: action.id,
        status: 'in_progress',
        overdue: 'overdue',
        quarter: '2026-Q2',
      }),
    ]);
  }, 300_000);
});

describe('the schedule', () => {
  it('keeps the pack of each closed quarter once, a day after the quarter closed', async () => {
    const states = rt.storage.states;
    const sources = { states, objectives: new ObjectiveService(states, loadObjectivesFile(CONFIG)) };
    const logger = { info: () => undefined, warn: () => undefined };
    const at = (iso: string) => new PackScheduler(sources, { logger, now: () => new Date(iso) });
    // 2026-Q4 closed less than a day ago: the last settled quarter is 2026-Q3, kept above already.
    expect(await at('2027-01-01T12:00:00Z').runOnce()).toBeNull();
    expect(await at('2027-01-02T12:00:00Z').runOnce()).toBe('2026-Q4');
    expect(await at('2027-01-03T12:00:00Z').runOnce()).toBeNull();
    const kept = (await (await fetch(`${rt.url}/v1/reports/2026-Q4`)).json()) as Pack;
    expect(kept.provenance.command).toContain('scheduled');
    expect(kept.provenance.asOf).toBe('2027-01-01T00:00:00.000Z');
  }, 300_000);
});

describe("the web view's data", () => {
  const objectives = () => new ObjectiveService(rt.storage.states, loadObjectivesFile(CONFIG));

  it("reads the objectives' series in one statement, with the KPI API's numbers", async () => {
    const list = objectives().objectives;
    const series = await queryKpiBatch(
      rt.storage.states,
      list.map((o) => ({ kpi: o.kpi, query: seriesQuery(o, { from: '2026-01-01', asOf: AS_OF }) })),
    );
    expect(series).toHaveLength(11);
    for (const [i, o] of list.entries()) {
      const q = new URLSearchParams(seriesQuery(o, { from: '2026-01-01', asOf: AS_OF }));
      const api = (await (await fetch(`${rt.url}/v1/kpis/${o.kpi}?${q}`)).json()) as { points: unknown[] };
      expect(series[i]?.points.length, o.id).toBeGreaterThan(0);
      expect(series[i]?.points, o.id).toEqual(api.points);
    }
  });

  it('keeps the tiles a refresh prepared until the next preparation, and the lists current', async () => {
    // Versions read for every request (the server's view reads them at most every 500 ms).
    const view = new WebView({ states: rt.storage.states, objectives: objectives() }, { versionTtlMs: 0 });
    await view.prepare();
    const prepared = await view.overview();
    expect(prepared.tiles).toHaveLength(11);
    // New data: the lists are read again, the tiles stay those of the last preparation…
    const res = await post('/v1/review-actions', {
      quarter: '2026-Q4', // a later review: no pack of these tests lists it
      kind: 'improvement',
      title: 'Look at the overview',
      owner: 'qm',
    });
    expect(res.status).toBe(201);
    const after = await view.overview();
    expect(after).not.toBe(prepared);
    expect(after.asOf).toBe(prepared.asOf);
    expect(after.tiles).toBe(prepared.tiles);
    // …until the refresher prepares again.
    await view.prepare();
    expect((await view.overview()).asOf.getTime()).toBeGreaterThan(prepared.asOf.getTime());
    await view.close();
  });

  it("narrows a chart to a range as the chart API does, from the whole series' page", async () => {
    const view = new WebView({ states: rt.storage.states, objectives: objectives() }, { versionTtlMs: 0 });
    const strip = (d: unknown) => ({ ...(JSON.parse(JSON.stringify(d)) as object), asOf: '' });
    for (const [query, api] of [
      [
        {
          kpi: 'change_failure_rate',
          team: 'payments',
          period: 'month',
          from: '2026-01-01',
          to: '2026-06-30',
        },
        '/v1/kpis/change_failure_rate/chart?team=payments&period=month&from=2026-01-01&to=2026-06-30',
      ],
      [
        { kpi: 'defect_arrivals', team: 'mobile', from: '2026-09-01' },
        '/v1/kpis/defect_arrivals/chart?team=mobile&from=2026-09-01',
      ],
    ] as const) {
      const page = await view.chartPage(query);
      const doc = await (await fetch(`${rt.url}${api}`)).json();
      expect(page.doc.points.length).toBeGreaterThan(0);
      expect(strip(page.doc)).toEqual(strip(doc));
    }
    await expect(view.chartPage({ kpi: 'defect_arrivals', from: '2026-13-01' })).rejects.toThrow(/from/);
    await view.close();
  });

  it("stores the limits of a monthly objective's own chart", async () => {
    const doc = (await (
      await fetch(`${rt.url}/v1/kpis/change_failure_rate/chart?team=payments&period=month`)
    ).json()) as { note: string | null; stages: { center: number | null; status: string }[] };
    expect(doc.note).toBeNull();
    expect(doc.stages.length).toBe(2);
    for (const s of doc.stages) expect(s.center).not.toBeNull();
  });
});

describe('the web view in a real browser', () => {
  const pages: [string, string, RegExp][] = [
    ['overview', '/', /Quality overview/],
    [
      'chart',
      '/charts?kpi=change_failure_rate&team=payments&period=week',
      /Change failure rate — payments, per week/,
    ],
    [
      'chart-month',
      '/charts?kpi=defect_arrivals&team=mobile&period=month&from=2026-01-01',
      /Defect arrivals — mobile, per month/,
    ],
    ['alerts', '/alerts', /Alerts/],
    ['reports', '/reports', /Quarterly review packs/],
    ['report', `/reports/${QUARTER}`, /Quarterly improvement review 2026-Q3/],
  ];

  it.each(pages)(
    '%s opens with no console error, failed or outside request',
    async (name, path, heading) => {
      const v = await visit(browser, `${rt.url}${path}`, { origin: rt.url });
      expect(v.status).toBe(200);
      expect(await v.page.locator('h1').count()).toBe(1);
      expect(await v.page.locator('h1').textContent()).toMatch(heading);
      expect(v.consoleErrors).toEqual([]);
      expect(v.failedRequests).toEqual([]);
      expect(v.foreignRequests).toEqual([]);
      // Every form control has a label (accessibility), and the page reads without JavaScript.
      const ids = await v.page
        .locator('input:not([type=hidden]), select, textarea')
        .evaluateAll((els) => els.map((e) => e.id));
      const unlabeled: string[] = [];
      for (const id of ids) {
        if (!id || (await v.page.locator(`label[for="${id}"]`).count()) !== 1)
          unlabeled.push(id || '(no id)');
      }
      expect(unlabeled).toEqual([]);
      await screenshot(v.page, `web-${name}`);
      await v.page.context().close();
      const noJs = await visit(browser, `${rt.url}${path}`, { origin: rt.url, javaScript: false });
      expect(await noJs.page.locator('h1').textContent()).toMatch(heading);
      await noJs.page.context().close();
    },
    120_000,
  );

  it('shows the objectives and the chart the overview links to', async () => {
    const v = await visit(browser, `${rt.url}/`, { origin: rt.url });
    expect(await v.page.locator('.tile').count()).toBe(11);
    await v.page.getByRole('link', { name: 'Payments deployments rarely need remediation' }).click();
    await v.page.waitForURL(/\/charts\?/);
    expect(await v.page.locator('h1').textContent()).toContain('Change failure rate — payments, per month');
    expect(await v.page.locator('figure svg').count()).toBe(1);
    // The monthly chart has its stored limits: no "nothing stored" note, a centre line per stage.
    expect(await v.page.locator('p.note').count()).toBe(0);
    const stages = v.page.locator('table', { hasText: 'Stages and their limits' }).locator('tbody tr');
    expect(await stages.count()).toBe(2);
    for (const row of await stages.all())
      expect(await row.locator('td').nth(3).textContent()).not.toBe('n/a');
    await v.page.context().close();
  });

  it('lists the series with recent signals by KPI name, one row each', async () => {
    const v = await visit(browser, `${rt.url}/`, { origin: rt.url });
    const signals = v.page.locator('section[aria-labelledby="h-signals"]');
    expect(await signals.locator('caption').textContent()).toMatch(/^Series with special-cause signals/);
    const rows = await signals
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 3).map((c) => c.textContent)));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.join('|'))).size).toBe(rows.length);
    // KPI names, not ids; and the rules explained beside the table.
    for (const [kpi] of rows) expect(kpi).not.toMatch(/_/);
    expect(await signals.textContent()).toMatch(/Rules: .*\(WE1\)/);
    await v.page.context().close();
  });

  it('changes the chart with the plain GET form', async () => {
    const v = await visit(browser, `${rt.url}/charts?kpi=change_failure_rate&team=payments`, {
      origin: rt.url,
      javaScript: false,
    });
    await v.page.selectOption('#f-kpi', 'lead_time_for_changes');
    await v.page.selectOption('#f-period', 'month');
    await v.page.getByRole('button', { name: 'Show' }).click();
    await v.page.waitForURL(/kpi=lead_time_for_changes/);
    expect(await v.page.locator('h1').textContent()).toBe('Lead time for changes — payments, per month');
    await v.page.context().close();
  });

  it('opens the standalone HTML pack from disk with no request at all', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shewhart-pack-'));
    try {
      const html = await (await fetch(`${rt.url}/v1/reports/${QUARTER}?format=html`)).text();
      const file = join(dir, 'pack.html');
      writeFileSync(file, html);
      const v = await visit(browser, `file://${file}`);
      expect(v.requests).toEqual([`file://${file}`]);
      expect(v.consoleErrors).toEqual([]);
      const headings = await v.page.locator('section > h2').allTextContents();
      expect(headings.slice(0, 12).map((h) => h.split(' ').slice(0, 2).join(' '))).toEqual([
        '9.3.2 a)',
        '9.3.2 b)',
        '9.3.2 c)',
        '9.3.2 c)',
        '9.3.2 c)',
        '9.3.2 c)',
        '9.3.2 c)',
        '9.3.2 c)',
        '9.3.2 c)',
        '9.3.2 d)',
        '9.3.2 e)',
        '9.3.2 f)',
      ]);
      expect(await v.page.locator('figure svg').count()).toBeGreaterThan(0);
      expect(readFileSync(file, 'utf8')).not.toMatch(/<script|<link |@import|src="http/);
      await screenshot(v.page, 'pack-html');
      await v.page.context().close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records a review action with the form of the pack page', async () => {
    const v = await visit(browser, `${rt.url}/reports/${QUARTER}`, { origin: rt.url, javaScript: false });
    await v.page.selectOption('#a-kind', 'resources');
    await v.page.fill('#a-title', 'Second SRE for the platform on-call');
    await v.page.fill('#a-owner', 'head-of-delivery');
    await v.page.getByRole('button', { name: 'Record' }).click();
    await v.page.waitForURL(new RegExp(`/reports/${QUARTER}`));
    expect(await v.page.locator('#h-outputs + div table').textContent()).toContain(
      'Second SRE for the platform on-call',
    );
    await v.page.context().close();
  });

  it('answers an unknown KPI with an HTML error page', async () => {
    const v = await visit(browser, `${rt.url}/charts?kpi=nope`, { origin: rt.url });
    expect(v.status).toBe(404);
    expect(await v.page.locator('h1').textContent()).toContain('404');
    await v.page.context().close();
  });
});
