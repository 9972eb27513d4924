import { type ChartDocument, kpiChartOf } from '@shewhart/baselines';
import { findKpi, GRAINS, KPIS, parseKpiQuery } from '@shewhart/kpi';
import { chartSvg, esc, formatNumber } from '@shewhart/report';
import type { WebContext } from './context.js';
import { page, scopeLabel } from './layout.js';

/** The chart page's query: the same parameters as `GET /v1/kpis/:id/chart`, plus the KPI. */
export interface ChartPageQuery {
  kpi?: string;
  period?: string;
  team?: string;
  project?: string;
  from?: string;
  to?: string;
  unit?: string;
  phase?: string;
}

const DEFAULT_KPI = 'change_failure_rate';

/** Drops empty form fields (a GET form sends `team=` for "organisation"). */
export function cleanQuery(q: ChartPageQuery): ChartPageQuery {
  return Object.fromEntries(
    Object.entries(q)
      .filter(([, v]) => typeof v === 'string' && v.trim() !== '')
      .map(([k, v]) => [k, (v as string).trim()]),
  );
}

/** Teams that have stored baselines (a cheap list for the form; any team can still be typed in the URL). */
async function knownTeams(ctx: WebContext): Promise<string[]> {
  const rs = await ctx.states.client.query({
    query: "SELECT DISTINCT team FROM baselines WHERE team != '' ORDER BY team",
    format: 'JSONEachRow',
  });
  return (await rs.json<{ team: string }>()).map((r) => r.team);
}

export interface ChartPage {
  query: ChartPageQuery;
  doc: ChartDocument;
  teams: string[];
  /**
   * Whether the refresher keeps this series' limits and signals current: the weekly chart of a KPI for the
   * organisation or a team (default unit or phase), and the chart an objective is set on.
   */
  kept: boolean;
}

/**
 * The page's query checked as the chart route checks it, before anything is read: an unknown KPI is not
 * found (`kind: 'not_found'`), a bad parameter (`from`, `to`, `period`, …) fails naming it.
 */
export function parseChartQuery(raw: ChartPageQuery) {
  const query = cleanQuery(raw);
  const kpiId = query.kpi ?? DEFAULT_KPI;
  const kpi = findKpi(kpiId);
  if (!kpi) throw Object.assign(new Error(`unknown KPI: ${kpiId}`), { kind: 'not_found' });
  const { kpi: _k, ...chartQuery } = query;
  return { query, kpi, q: parseKpiQuery(chartQuery as Record<string, unknown>, kpi) };
}

/** The chart document of the page (as the chart route builds it, objective included). */
export async function loadChartPage(ctx: WebContext, raw: ChartPageQuery): Promise<ChartPage> {
  const { query, kpi, q } = parseChartQuery(raw);
  const objective = ctx.objectives?.find({ kpi: kpi.id, team: q.team, project: q.project, period: q.period });
  const [doc, teams] = await Promise.all([
    kpiChartOf(ctx.states, kpi, q, objective ? { spec: objective.spec, objective } : {}),
    knownTeams(ctx),
  ]);
  const kept =
    objective !== undefined ||
    (q.period === 'week' && !q.project && (q.dimension ?? '') === (kpi.dimension?.default ?? ''));
  return { query: { ...query, kpi: kpi.id }, doc, teams, kept };
}

/**
 * The page of a range of a series from the page of the whole series: a range only narrows what is shown
 * (`kpiChartOf`: the points, skipped periods and signals whose period starts in it; the stages, limits and
 * capability are the whole series'). The range is validated as the chart API validates it.
 */
export function narrowChartPage(whole: ChartPage, raw: ChartPageQuery): ChartPage {
  const query = cleanQuery(raw);
  const kpi = findKpi(whole.doc.kpi);
  const { kpi: _k, ...chartQuery } = query;
  const q = parseKpiQuery(chartQuery as Record<string, unknown>, kpi);
  const inRange = (d: string) =>
    (!q.from || Date.parse(`${d}T00:00:00Z`) >= q.from.getTime()) &&
    (!q.to || Date.parse(`${d}T00:00:00Z`) <= q.to.getTime());
  const doc = whole.doc;
  return {
    ...whole,
    query: { ...query, kpi: doc.kpi },
    doc: {
      ...doc,
      points: doc.points.filter((p) => inRange(p.periodStart)),
      skipped: doc.skipped.filter(inRange),
      signals: doc.signals.filter((s) => inRange(s.periodStart)),
    },
  };
}

const option = (value: string, label: string, selected: boolean) =>
  `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(label)}</option>`;

function form(p: ChartPage): string {
  const q = p.query;
  const def = findKpi(q.kpi as string);
  const dim = def?.dimension;
  const dimValue = dim ? ((q as Record<string, string | undefined>)[dim.name] ?? dim.default) : undefined;
  return `<form class="filters" method="get" action="/charts" aria-label="Choose the chart">
<label for="f-kpi">KPI<select id="f-kpi" name="kpi">${KPIS.map((k) => option(k.id, k.title, k.id === q.kpi)).join('')}</select></label>
<label for="f-period">Per<select id="f-period" name="period">${GRAINS.map((g) => option(g, g, g === (q.period ?? 'week'))).join('')}</select></label>
<label for="f-team">Team<select id="f-team" name="team">${option('', 'organisation', !q.team)}${[...new Set([...p.teams, ...(q.team ? [q.team] : [])])].map((t) => option(t, t, t === q.team)).join('')}</select></label>
<label for="f-project">Project<input id="f-project" name="project" value="${esc(q.project ?? '')}" size="12"></label>
${dim ? `<label for="f-dim">${esc(dim.name)}<select id="f-dim" name="${esc(dim.name)}">${dim.values.map((v) => option(v, v, v === dimValue)).join('')}</select></label>` : ''}
<label for="f-from">From<input id="f-from" name="from" type="date" value="${esc(q.from ?? '')}"></label>
<label for="f-to">To<input id="f-to" name="to" type="date" value="${esc(q.to ?? '')}"></label>
<button type="submit">Show</button>
</form>`;
}

const n = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : formatNumber(v));
/** A stage's limit: attribute charts' limits vary with the subgroup size (see the points); none without a baseline. */
const limit = (s: ChartDocument['stages'][number], v: number | null) =>
  v !== null ? formatNumber(v) : s.status === 'insufficient' || s.center === null ? 'n/a' : 'varies';

/**
 * What the reader should know about the stored limits. The document's own note promises the next refresh;
 * for a series the refresher does not keep (another grain, a project, another unit or phase) that would
 * not come true, so the page says what is kept and how to store this one's limits.
 */
function noteHtml(p: ChartPage, note: string | null | undefined): string {
  if (!note) return '';
  if (p.kept) return `<p class="note">${esc(note)}</p>`;
  const none = p.doc.stages.every((s) => s.baselineId === null);
  const body = JSON.stringify({ grains: [p.doc.period] });
  return `<p class="note">${
    none ? 'No limits are stored for this chart' : 'The limits stored for this chart are behind the data'
  }: the refresher keeps the weekly charts (organisation and each team) and the chart each objective is set on current. <code>POST /v1/baselines/refresh</code> with <code>${esc(body)}</code> stores this grain's limits and signals now (organisation and teams); until then ${
    none ? 'the points are shown without limits' : 'the limits shown are those stored last'
  }.</p>`;
}

function signalText(flagged: ChartDocument['points']): string {
  if (flagged.length === 0) return "No point signals against its own stage's limits in this range.";
  const listed = flagged
    .slice(-12)
    .map((pt) => `${pt.periodStart} (${pt.rules.join(', ')})`)
    .join('; ');
  return `${flagged.length} ${flagged.length === 1 ? 'point signals' : 'points signal'} against ${flagged.length === 1 ? 'its' : 'their'} own stage's limits${flagged.length > 12 ? ', the latest 12' : ''}: ${esc(listed)}.`;
}

/** Points of a stage that signal against the previous stage's limits: the evidence a process change shifted it. */
function shiftText(d: ChartDocument): string {
  const parts = d.stages.flatMap((s, i) => {
    const signals = s.evidence?.signals ?? [];
    if (i === 0 || signals.length === 0) return [];
    const above = signals.filter((x) => x.z > 0).length;
    const side =
      above === signals.length
        ? 'above'
        : above === 0
          ? 'below'
          : `${above} above and ${signals.length - above} below`;
    return [
      `stage ${i + 1} (from ${s.from}): ${signals.length} signalling ${signals.length === 1 ? 'point' : 'points'}, ${side} the previous stage's centre (${[...new Set(signals.flatMap((x) => x.rules))].sort().join(', ')})`,
    ];
  });
  return parts.length === 0
    ? ''
    : `<p>Evidence of a shift against the previous stage's frozen limits: ${esc(parts.join('; '))}.</p>`;
}

export function renderChartPage(p: ChartPage, options: { alerts: boolean; signedIn: boolean }): string {
  const d = p.doc;
  const def = findKpi(d.kpi);
  const title = `${def?.title ?? d.kpi} — ${scopeLabel(d.scope.team, d.scope.project)}, per ${d.period}`;
  const note = (d as { note?: string | null }).note;
  const stages = `<div class="table-wrap"><table><caption>Stages and their limits (${esc(d.chart)} chart)</caption>
<thead><tr><th scope="col">Stage</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">Centre</th><th scope="col">LCL</th><th scope="col">UCL</th><th scope="col">Baseline version</th><th scope="col">Note</th></tr></thead><tbody>
${d.stages
  .map(
    (s, i) =>
      `<tr><th scope="row">${i + 1}</th><td>${esc(s.from)}</td><td>${esc(s.to ?? '')}</td><td class="status-${esc(s.status)}">${esc(s.status)}</td><td class="num">${n(s.center)}</td><td class="num">${limit(s, s.lcl)}</td><td class="num">${limit(s, s.ucl)}</td><td class="num">${esc(String((s as { version?: number | null }).version ?? ''))}</td><td>${esc(!p.kept && s.baselineId === null && s.note?.startsWith('no baseline is stored') ? 'no baseline stored (see the note above)' : (s.note ?? ''))}</td></tr>`,
  )
  .join('\n')}
</tbody></table></div>`;
  const flagged = d.points.filter((pt) => pt.rules.length > 0);
  const points = `<details><summary>The ${d.points.length} points as a table</summary><div class="table-wrap"><table><caption>Points, limits and rules</caption>
<thead><tr><th scope="col">Period</th><th scope="col">Value</th><th scope="col">LCL</th><th scope="col">Centre</th><th scope="col">UCL</th><th scope="col">Rules</th></tr></thead><tbody>
${d.points.map((pt) => `<tr><th scope="row">${esc(pt.periodStart)}${(pt as { open?: boolean }).open ? ' (open)' : ''}</th><td class="num">${n(pt.value)}</td><td class="num">${n(pt.lcl)}</td><td class="num">${n(pt.center)}</td><td class="num">${n(pt.ucl)}</td><td>${esc(pt.rules.join(', '))}</td></tr>`).join('\n')}
</tbody></table></div></details>`;
  return page(
    { title, nav: 'charts', alerts: options.alerts, signedIn: options.signedIn },
    `<h1>${esc(title)}</h1>
${form(p)}
${noteHtml(p, note)}
<figure>${chartSvg(d, 'kpi-chart', 1100)}</figure>
<p>${signalText(flagged)}</p>
${shiftText(d)}
${stages}
${points}
<p class="muted">The same document as JSON: <a href="/v1/kpis/${esc(d.kpi)}/chart?${esc(new URLSearchParams(Object.entries(p.query).filter(([k]) => k !== 'kpi') as [string, string][]).toString())}">GET /v1/kpis/${esc(d.kpi)}/chart</a>.</p>`,
  );
}
