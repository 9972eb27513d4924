import { GRAINS, type Grain } from '@shewhart/kpi';
import { esc, formatNumber } from '@shewhart/report';
import type { WebAlert } from './context.js';
import { chartHref, page, scopeLabel } from './layout.js';
import { periodLabel } from './overview.js';

function alertRow(a: WebAlert, canAck: boolean): string {
  const ack = a.ackedBy
    ? `acknowledged by ${esc(a.ackedBy)}${a.ackNote ? `: “${esc(a.ackNote)}”` : ''}`
    : a.state === 'firing' && canAck
      ? `<form class="ack" method="post" action="/alerts/${esc(encodeURIComponent(a.id))}/ack" aria-label="Acknowledge ${esc(a.title)}">
<label for="by-${esc(a.id)}">By<input id="by-${esc(a.id)}" name="by" required maxlength="128" size="10"></label>
<label for="note-${esc(a.id)}">Note<input id="note-${esc(a.id)}" name="note" maxlength="2000" size="16"></label>
<button type="submit">Acknowledge</button></form>`
      : '';
  const chart = a.kpi
    ? `<a href="${esc(chartHref({ kpi: a.kpi, team: a.team, project: a.project, period: a.grain || undefined }))}">chart</a>`
    : '';
  const when = (t: string | null) => (t ? esc(t.slice(0, 16).replace('T', ' ')) : '');
  return `<tr id="${esc(a.id)}"><th scope="row" class="wrap">${esc(a.title)}</th><td class="status-${esc(a.state)}">${esc(a.state)}</td><td>${esc(a.severity)}</td><td>${esc(a.class.replace(/_/g, ' '))}</td><td>${esc(scopeLabel(a.team, a.project))}</td><td class="nowrap">${esc(a.periodStart ? (GRAINS.includes(a.grain as Grain) ? periodLabel(a.periodStart, a.grain as Grain) : a.periodStart) : '')}</td><td class="num">${a.value === null ? '' : esc(formatNumber(a.value))}</td><td class="nowrap">${when(a.startedAt)}</td>${a.state === 'resolved' ? `<td class="nowrap">${when(a.resolvedAt)}</td>` : ''}<td>${chart}</td><td>${ack}</td></tr>`;
}

function table(caption: string, alerts: readonly WebAlert[], canAck: boolean): string {
  const resolved = alerts.some((a) => a.state === 'resolved');
  if (alerts.length === 0) return `<p class="muted">${esc(caption)}: none.</p>`;
  return `<div class="table-wrap"><table><caption>${esc(caption)}</caption>
<thead><tr><th scope="col">Alert</th><th scope="col">State</th><th scope="col">Severity</th><th scope="col">Class</th><th scope="col">Scope</th><th scope="col">Period</th><th scope="col">Value</th><th scope="col">Since (UTC)</th>${resolved ? '<th scope="col">Resolved (UTC)</th>' : ''}<th scope="col">Chart</th><th scope="col">Acknowledgement</th></tr></thead>
<tbody>${alerts.map((a) => alertRow(a, canAck)).join('\n')}</tbody></table></div>`;
}

/** Firing alerts (with an acknowledge form each) and the latest resolved ones. */
export function renderAlertsPage(
  firing: readonly WebAlert[] | null,
  resolved: readonly WebAlert[],
  options: { signedIn: boolean; canAck: boolean },
): string {
  const body =
    firing === null
      ? '<p>Alerts are not part of this deployment (no alerts configured).</p>'
      : `${table('Firing alerts', firing, options.canAck)}
${table('Recently resolved alerts', resolved, false)}
${options.canAck ? '' : '<p class="muted">Acknowledging needs a <strong>decide</strong> token.</p>'}`;
  return page(
    { title: 'Alerts', nav: 'alerts', alerts: true, signedIn: options.signedIn },
    `<h1>Alerts</h1>\n${body}`,
  );
}
