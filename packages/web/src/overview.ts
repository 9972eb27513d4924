import { listSignals, nextPeriodStart } from '@shewhart/baselines';
import { findKpi, type Grain } from '@shewhart/kpi';
import {
  evaluateObjective,
  type Objective,
  type PeriodEvaluation,
  scopeOf,
  seriesQuery,
} from '@shewhart/objectives';
import { esc, formatNumber, listPacks, type StoredPackInfo, targetText } from '@shewhart/report';
import type { WebAlert, WebContext } from './context.js';
import { chartHref, page, scopeLabel } from './layout.js';

/** How far back the overview reads an objective's series: a few periods of its grain. */
const LOOKBACK_DAYS: Record<Grain, number> = { day: 21, week: 63, month: 125, quarter: 370 };
/** Signals on periods this recent are "open" for the overview. */
const RECENT_SIGNAL_DAYS = 56;

interface Tile {
  objective: Objective;
  latest: PeriodEvaluation | null;
}

export interface Overview {
  asOf: Date;
  tiles: Tile[];
  signals: Awaited<ReturnType<typeof listSignals>>;
  alerts: WebAlert[] | null;
  packs: StoredPackInfo[];
}

const ymd = (d: Date) => d.toISOString().slice(0, 10);

/** Reads what the overview shows; each part is one or a few small queries, run side by side. */
export async function loadOverview(ctx: WebContext, asOf = new Date()): Promise<Overview> {
  const service = ctx.objectives;
  const objectives = service?.objectives ?? [];
  const tiles = Promise.all(
    objectives.map(async (o): Promise<Tile> => {
      const from = ymd(new Date(asOf.getTime() - LOOKBACK_DAYS[o.period] * 86_400_000));
      const series = await (service as NonNullable<typeof service>).series(o, {
        from,
        asOf: asOf.toISOString(),
      });
      const closed = series.points.filter(
        (p) => nextPeriodStart(new Date(`${p.periodStart}T00:00:00Z`), o.period).getTime() <= asOf.getTime(),
      );
      return { objective: o, latest: evaluateObjective(o, closed).periods.at(-1) ?? null };
    }),
  );
  const since = ymd(new Date(asOf.getTime() - RECENT_SIGNAL_DAYS * 86_400_000));
  const [t, signals, alerts, packs] = await Promise.all([
    tiles,
    listSignals(ctx.states.client, { since }),
    ctx.alerts ? ctx.alerts.list({ state: 'firing', limit: 50 }) : Promise.resolve(null),
    listPacks(ctx.states.client),
  ]);
  return { asOf, tiles: t, signals, alerts, packs };
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
<p><span class="value">${t.latest?.actual === null || t.latest === null ? 'n/a' : esc(formatNumber(t.latest.actual))}</span> ${esc(def?.unit ?? '')}</p>
<p>Target ${esc(targetText(o))} · <span class="status-${word.replace(' ', '-')}">${esc(word)}</span>${t.latest ? ` <span class="muted">(${o.period} of ${esc(t.latest.periodStart)})</span>` : ''}</p>
</li>`;
}

export function renderOverview(o: Overview, options: { alerts: boolean; signedIn: boolean }): string {
  const tiles =
    o.tiles.length === 0
      ? '<p class="muted">No quality objectives are configured (the <code>objectives</code> section of the configuration file, <code>SHEWHART_CONFIG</code>).</p>'
      : `<ul class="tiles">${o.tiles.map(tileHtml).join('\n')}</ul>`;
  const signals =
    o.signals.length === 0
      ? '<p class="muted">No special-cause signal on the periods of the last eight weeks.</p>'
      : `<div class="table-wrap"><table><caption>Special-cause signals on periods of the last eight weeks (${o.signals.length}), newest first</caption>
<thead><tr><th scope="col">KPI</th><th scope="col">Scope</th><th scope="col">Per</th><th scope="col">Period</th><th scope="col">Rule</th><th scope="col">Value</th></tr></thead><tbody>
${o.signals
  .slice(0, 40)
  .map((s) => {
    const dimName = findKpi(s.kpi)?.dimension?.name;
    return `<tr><th scope="row"><a href="${esc(chartHref({ kpi: s.kpi, team: s.team, project: s.project, period: s.grain, dim: s.dim, dimName }))}">${esc(s.kpi)}</a></th><td>${esc(scopeLabel(s.team, s.project))}</td><td>${esc(s.grain)}</td><td>${esc(s.periodStart)}</td><td>${esc(s.rule)}</td><td class="num">${esc(formatNumber(s.value))}</td></tr>`;
  })
  .join('\n')}
</tbody></table></div>${o.signals.length > 40 ? `<p class="muted">${o.signals.length - 40} more: <code>GET /v1/signals</code>.</p>` : ''}`;
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
