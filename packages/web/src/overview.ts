import { listSignals, nextPeriodStart } from '@shewhart/baselines';
import { findKpi, type Grain } from '@shewhart/kpi';
import {
  evaluateObjective,
  type Objective,
  type PeriodEvaluation,
  scopeOf,
  seriesQuery,
} from '@shewhart/objectives';
import {
  describeRules,
  esc,
  formatNumber,
  listPacks,
  type RuleName,
  type StoredPackInfo,
  targetText,
} from '@shewhart/report';
import type { WebAlert, WebContext } from './context.js';
import { chartHref, page, scopeLabel } from './layout.js';
import { queryKpiBatch } from './series-batch.js';

/** How far back the overview reads an objective's series: a few periods of its grain. */
const LOOKBACK_DAYS: Record<Grain, number> = { day: 21, week: 63, month: 125, quarter: 370 };
/** Signals on periods this recent are "open" for the overview. */
const RECENT_SIGNAL_DAYS = 56;

export interface Tile {
  objective: Objective;
  latest: PeriodEvaluation | null;
}

/** The objectives' tiles, evaluated as of `asOf`. */
export interface Tiles {
  asOf: Date;
  tiles: Tile[];
}

export interface Overview {
  /** When the tiles were evaluated (prepared after the last baseline refresh, or for this request). */
  asOf: Date;
  tiles: Tile[];
  signals: Awaited<ReturnType<typeof listSignals>>;
  alerts: WebAlert[] | null;
  packs: StoredPackInfo[];
}

const ymd = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Each objective's latest closed period against its target: the objectives' series are read in one
 * statement (`queryKpiBatch`: the KPIs' own SQL, the numbers of `GET /v1/kpis/:id`), a few periods each.
 */
export async function loadTiles(ctx: WebContext, asOf = new Date()): Promise<Tiles> {
  const objectives = ctx.objectives?.objectives ?? [];
  const series = await queryKpiBatch(
    ctx.states,
    objectives.map((o) => ({
      kpi: o.kpi,
      query: seriesQuery(o, {
        from: ymd(new Date(asOf.getTime() - LOOKBACK_DAYS[o.period] * 86_400_000)),
        asOf: asOf.toISOString(),
      }),
    })),
  );
  const tiles = objectives.map((o, i): Tile => {
    const closed = (series[i]?.points ?? []).filter(
      (p) => nextPeriodStart(new Date(`${p.periodStart}T00:00:00Z`), o.period).getTime() <= asOf.getTime(),
    );
    return { objective: o, latest: evaluateObjective(o, closed).periods.at(-1) ?? null };
  });
  return { asOf, tiles };
}

/** The overview around its tiles: signals of recent periods, firing alerts and the kept packs. */
export async function loadOverview(ctx: WebContext, tiles?: Tiles): Promise<Overview> {
  const t = tiles ?? (await loadTiles(ctx));
  const since = ymd(new Date(t.asOf.getTime() - RECENT_SIGNAL_DAYS * 86_400_000));
  const [signals, alerts, packs] = await Promise.all([
    listSignals(ctx.states.client, { since }),
    ctx.alerts ? ctx.alerts.list({ state: 'firing', limit: 50 }) : Promise.resolve(null),
    listPacks(ctx.states.client),
  ]);
  return { asOf: t.asOf, tiles: t.tiles, signals, alerts, packs };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A period as people name it: "week of 16 Nov 2026", "Nov 2026", "2026-Q3", "16 Nov 2026". */
export function periodLabel(periodStart: string, grain: Grain): string {
  const [y, m, d] = periodStart.split('-').map(Number) as [number, number, number];
  const month = MONTHS[m - 1] ?? String(m);
  if (grain === 'quarter') return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
  if (grain === 'month') return `${month} ${y}`;
  return `${grain === 'week' ? 'week of ' : ''}${d} ${month} ${y}`;
}

/** A KPI's unit, with the size unit or phase of the series where the KPI has one ("size per hour, loc"). */
function unitText(unit: string, dim: string | undefined): string {
  return dim ? `${unit} (${dim.replace(/_/g, ' ')})` : unit;
}

/** The recent signals, one row per series: a quality manager asks which processes signal, then opens the chart. */
interface SignalSeries {
  kpi: string;
  team: string;
  project: string;
  dim: string;
  grain: string;
  latest: string;
  value: number;
  above: boolean;
  periods: Set<string>;
  rules: Set<string>;
}

function bySeries(signals: Overview['signals']): SignalSeries[] {
  const series = new Map<string, SignalSeries>();
  // Newest first: the first signal of a series is its latest.
  for (const s of signals) {
    const key = [s.kpi, s.team, s.project, s.dim, s.grain].join('\u0000');
    let row = series.get(key);
    if (!row) {
      row = {
        kpi: s.kpi,
        team: s.team,
        project: s.project,
        dim: s.dim,
        grain: s.grain,
        latest: s.periodStart,
        value: s.value,
        above: s.z > 0,
        periods: new Set(),
        rules: new Set(),
      };
      series.set(key, row);
    }
    row.periods.add(s.periodStart);
    row.rules.add(s.rule);
  }
  return [...series.values()];
}

function signalsHtml(signals: Overview['signals']): string {
  if (signals.length === 0)
    return '<p class="muted">No special-cause signal on the periods of the last eight weeks.</p>';
  const rows = bySeries(signals);
  const shown = rows.slice(0, 40);
  const rules = [...new Set(rows.flatMap((r) => [...r.rules]))].sort() as RuleName[];
  return `<div class="table-wrap"><table><caption>Series with special-cause signals on periods of the last eight weeks (${rows.length} series, ${signals.length} signals), latest first</caption>
<thead><tr><th scope="col">KPI</th><th scope="col">Scope</th><th scope="col">Per</th><th scope="col">Latest signal</th><th scope="col">Value then</th><th scope="col">Side</th><th scope="col">Rules</th><th scope="col" class="num">Periods signalling</th></tr></thead><tbody>
${shown
  .map((r) => {
    const def = findKpi(r.kpi);
    const href = chartHref({
      kpi: r.kpi,
      team: r.team,
      project: r.project,
      period: r.grain,
      dim: r.dim,
      dimName: def?.dimension?.name,
    });
    return `<tr><th scope="row"><a href="${esc(href)}">${esc(def?.title ?? r.kpi)}</a>${r.dim ? ` <span class="muted">(${esc(r.dim)})</span>` : ''}</th><td>${esc(scopeLabel(r.team, r.project))}</td><td>${esc(r.grain)}</td><td>${esc(r.latest)}</td><td class="num">${esc(formatNumber(r.value))} ${esc(def?.unit ?? '')}</td><td>${r.above ? 'above centre' : 'below centre'}</td><td>${esc([...r.rules].sort().join(', '))}</td><td class="num">${r.periods.size}</td></tr>`;
  })
  .join('\n')}
</tbody></table></div>
<p class="muted">Rules: ${esc(describeRules(rules))}.${rows.length > shown.length ? ` ${rows.length - shown.length} more series: <code>GET /v1/signals</code>.` : ''}</p>`;
}

function tileHtml(t: Tile): string {
  const o = t.objective;
  const def = findKpi(o.kpi);
  const s = scopeOf(o);
  const status = t.latest?.status ?? 'not_evaluable';
  const word = status === 'not_evaluable' ? 'not evaluable' : status;
  const q = seriesQuery(o);
  const href = chartHref({
    kpi: o.kpi,
    team: s.team,
    project: s.project,
    period: o.period,
    dim: q.unit ?? q.phase,
    dimName: q.unit ? 'unit' : 'phase',
  });
  return `<li class="tile ${word.replace(' ', '-')}">
<h3><a href="${esc(href)}">${esc(o.title ?? o.id)}</a></h3>
<p class="muted">${esc(def?.title ?? o.kpi)} · ${esc(scopeLabel(s.team, s.project))} · per ${esc(o.period)}</p>
<p><span class="value">${t.latest?.actual === null || t.latest === null ? 'n/a' : esc(formatNumber(t.latest.actual))}</span> ${esc(unitText(def?.unit ?? '', q.unit ?? q.phase))}</p>
<p>Target ${esc(targetText(o))} · <span class="status-${word.replace(' ', '-')}">${esc(word)}</span>${t.latest ? ` <span class="muted nowrap">(${esc(periodLabel(t.latest.periodStart, o.period))})</span>` : ''}</p>
</li>`;
}

export function renderOverview(o: Overview, options: { alerts: boolean; signedIn: boolean }): string {
  const tiles =
    o.tiles.length === 0
      ? '<p class="muted">No quality objectives are configured (the <code>objectives</code> section of the configuration file, <code>SHEWHART_CONFIG</code>).</p>'
      : `<ul class="tiles">${o.tiles.map(tileHtml).join('\n')}</ul>`;
  const signals = signalsHtml(o.signals);
  const alerts =
    o.alerts === null
      ? ''
      : `<section aria-labelledby="h-alerts"><h2 id="h-alerts">Firing alerts</h2>${
          o.alerts.length === 0
            ? '<p class="muted">No alert is firing.</p>'
            : `<ul>${o.alerts.map((a) => `<li><a href="/alerts#${esc(a.id)}">${esc(a.title)}</a> <span class="muted">(${esc(a.severity)}, since ${esc(a.startedAt.slice(0, 10))}${a.ackedBy ? `, acknowledged by ${esc(a.ackedBy)}` : ''})</span></li>`).join('')}</ul>`
        }</section>`;
  const packs =
    o.packs.length === 0
      ? '<p class="muted">No review pack is kept yet: one is generated after each quarter closes, or with <code>shewhart report --quarter 2026-Q3</code>.</p>'
      : `<ul>${o.packs
          .slice(0, 8)
          .map(
            (p) =>
              `<li><a href="/reports/${esc(encodeURIComponent(p.id))}">${esc(p.quarter)}${p.team ? ` — team ${esc(p.team)}` : ''}</a> <span class="muted">generated ${esc(p.generatedAt.slice(0, 10))}</span></li>`,
          )
          .join('')}</ul>`;
  return page(
    { title: 'Quality overview', nav: 'overview', alerts: options.alerts, signedIn: options.signedIn },
    `<h1>Quality overview</h1>
<p class="muted">As of ${esc(o.asOf.toISOString().slice(0, 16).replace('T', ' '))} UTC. Each tile is an objective's latest closed period; the title opens its control chart.</p>
<section aria-labelledby="h-objectives"><h2 id="h-objectives">Objectives</h2>${tiles}</section>
${alerts}
<section aria-labelledby="h-signals"><h2 id="h-signals">Recent signals</h2>${signals}</section>
<section aria-labelledby="h-packs"><h2 id="h-packs">Review packs</h2>${packs}</section>`,
  );
}
