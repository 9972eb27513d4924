import {
  ACTION_KINDS,
  ACTION_STATUSES,
  esc,
  packBodyHtml,
  type ReviewAction,
  type ReviewPack,
  type StoredPackInfo,
} from '@shewhart/report';
import { page } from './layout.js';

export function renderReportsPage(
  packs: readonly StoredPackInfo[],
  options: { alerts: boolean; signedIn: boolean },
): string {
  const list =
    packs.length === 0
      ? '<p>No review pack is kept yet. One is generated after each quarter closes; <code>shewhart report --quarter 2026-Q3</code> generates one now.</p>'
      : `<div class="table-wrap"><table><caption>Kept review packs (latest generation of each)</caption>
<thead><tr><th scope="col">Pack</th><th scope="col">Quarter</th><th scope="col">Scope</th><th scope="col">Generated (UTC)</th><th scope="col">How</th><th scope="col">Generations</th><th scope="col">JSON</th></tr></thead><tbody>
${packs
  .map(
    (p) =>
      `<tr><th scope="row"><a href="/reports/${esc(encodeURIComponent(p.id))}">${esc(p.id)}</a></th><td>${esc(p.quarter)}</td><td>${esc(p.team ?? 'organisation')}</td><td>${esc(p.generatedAt.slice(0, 16).replace('T', ' '))}</td><td>${esc(p.trigger)}</td><td class="num">${p.generations}</td><td><a href="/v1/reports/${esc(encodeURIComponent(p.id))}">JSON</a></td></tr>`,
  )
  .join('\n')}
</tbody></table></div>`;
  return page(
    { title: 'Review packs', nav: 'reports', alerts: options.alerts, signedIn: options.signedIn },
    `<h1>Quarterly review packs</h1>\n${list}`,
  );
}

function actionsHtml(pack: ReviewPack, actions: readonly ReviewAction[], canDecide: boolean): string {
  const rows = actions
    .map(
      (a) =>
        `<tr><th scope="row">${esc(a.id)}</th><td>${esc(a.kind)}</td><td>${esc(a.title)}</td><td>${esc(a.owner)}</td><td>${esc(a.due ?? '')}</td><td class="status-${esc(a.status)}">${esc(a.status)}</td><td>${esc(a.note)}</td></tr>`,
    )
    .join('\n');
  const table =
    actions.length === 0
      ? '<p class="muted">No decision or action is recorded against this review yet.</p>'
      : `<div class="table-wrap"><table><caption>Decisions and actions of this review (ISO 9001 9.3.3)</caption><thead><tr><th scope="col">Id</th><th scope="col">Kind</th><th scope="col">Action</th><th scope="col">Owner</th><th scope="col">Due</th><th scope="col">Status</th><th scope="col">Note</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  const form = canDecide
    ? `<form class="filters" method="post" action="/reports/${esc(encodeURIComponent(pack.id))}/actions" aria-label="Record an action of this review">
<label for="a-kind">Kind<select id="a-kind" name="kind">${ACTION_KINDS.map((k) => `<option value="${k}">${k.replace('_', ' ')}</option>`).join('')}</select></label>
<label for="a-title">Action<input id="a-title" name="title" required maxlength="500" size="40"></label>
<label for="a-owner">Owner<input id="a-owner" name="owner" required maxlength="128" size="14"></label>
<label for="a-due">Due<input id="a-due" name="due" type="date"></label>
<label for="a-status">Status<select id="a-status" name="status">${ACTION_STATUSES.map((s) => `<option value="${s}">${s.replace('_', ' ')}</option>`).join('')}</select></label>
<button type="submit">Record</button></form>`
    : '<p class="muted">Recording actions needs a <strong>decide</strong> token (or <code>shewhart review action add</code>).</p>';
  return `<section aria-labelledby="h-outputs"><h2 id="h-outputs">Review outputs</h2>${table}${form}</section>`;
}

const utc = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

export function renderPackPage(
  pack: ReviewPack,
  actions: readonly ReviewAction[],
  options: { alerts: boolean; signedIn: boolean; canDecide: boolean },
): string {
  return page(
    { title: pack.title, nav: 'reports', alerts: options.alerts, signedIn: options.signedIn },
    `<h1>${esc(pack.title)}</h1>
<p class="muted">Generated ${esc(utc(pack.generatedAt))}; every number evaluated as of ${esc(utc(pack.provenance.asOf))}, the end of ${esc(pack.quarter)}. <a href="/v1/reports/${esc(encodeURIComponent(pack.id))}">JSON</a> · <a href="/v1/reports/${esc(encodeURIComponent(pack.id))}?format=html">standalone HTML</a></p>
${actionsHtml(pack, actions, options.canDecide)}
${packBodyHtml(pack, 2)}`,
  );
}
