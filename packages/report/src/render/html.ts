import type { ChartDocument } from '@shewhart/baselines';
import { kpiChartModel } from '@shewhart/baselines';
import { renderChartSvg } from '@shewhart/charts';
import type { Block, ReviewPack } from '../pack.js';
import { formatCell, numericColumn, type TableBlock } from './format.js';

/** Escapes text for HTML element content and attribute values. */
export function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

/**
 * The one stylesheet of the pack and the web view, inlined in every page (no external request). Colours
 * meet WCAG AA contrast on white (text #1f1f1f, muted #4a4a4a, links #0b57d0); focus is always visible.
 */
export const BASE_CSS = `
:root{color-scheme:light;--ink:#1f1f1f;--muted:#4a4a4a;--line:#c8c8c8;--band:#f3f5f8;--link:#0b57d0;--bad:#a50e0e;--good:#0d652d;--warn:#7a4a00}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#fff}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:10}
header.site{display:flex;flex-wrap:wrap;gap:1rem;align-items:baseline;padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:var(--band)}
header.site .brand{font-weight:700;font-size:1.1rem;color:var(--ink);text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;color:var(--ink)}
main{padding:1rem 1.5rem 3rem;max-width:1280px}
h1{font-size:1.6rem;margin:.5rem 0 1rem}h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
.muted{color:var(--muted)}
.table-wrap{overflow-x:auto;margin:.5rem 0 1rem}
table{border-collapse:collapse;font-size:.9rem;min-width:50%}
caption{text-align:left;font-weight:600;padding:.25rem 0 .5rem;color:var(--ink)}
th[scope=row]{white-space:nowrap}
td:last-child{min-width:14rem}
th,td{border:1px solid var(--line);padding:.3rem .5rem;vertical-align:top}
th{background:var(--band);text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.status-met,.status-improved,.status-better,.status-firm,.status-explained,.status-done,.status-resolved{color:var(--good);font-weight:600}
.status-missed,.status-not-improved,.status-worse,.status-overdue,.status-firing,.status-no-cause-recorded{color:var(--bad);font-weight:600}
.status-partly-met,.status-provisional,.status-insufficient-data,.status-open,.status-in-progress{color:var(--warn);font-weight:600}
.placeholder{border:2px dashed #6b6b6b;padding:.75rem 1rem;margin:.75rem 0;background:#fafafa}
.placeholder strong{display:block}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.25rem}
figure svg{max-width:100%;height:auto}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:.75rem;list-style:none;padding:0}
.tile{border:1px solid var(--line);border-left:6px solid var(--line);padding:.6rem .8rem;border-radius:4px}
.tile.met{border-left-color:var(--good)}.tile.missed{border-left-color:var(--bad)}.tile.not-evaluable{border-left-color:#6b6b6b}
.tile .value{font-size:1.5rem;font-weight:700}.nowrap{white-space:nowrap}td.prose{min-width:16rem}
form.inline{display:inline}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin:.5rem 0 1rem}
form.filters label,form.stack label{display:flex;flex-direction:column;font-size:.9rem;font-weight:600}
input,select,button,textarea{font:inherit;padding:.3rem .5rem;border:1px solid #6b6b6b;border-radius:3px}
button{background:#0b57d0;color:#fff;border-color:#0b57d0;cursor:pointer}
.note{background:#fff8e1;border:1px solid #e0c36a;padding:.5rem .75rem}
footer{color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);margin-top:2rem;padding-top:.5rem}
@media print{header.site nav,.skip{display:none}main{max-width:none}}
`;

/** A table block as an accessible HTML table (caption, column headers with scope). */
export function tableHtml(t: TableBlock): string {
  if (t.rows.length === 0)
    return `<p class="muted" id="${esc(t.id)}"><strong>${esc(t.caption)}:</strong> ${esc(t.empty)}</p>`;
  const head = t.columns.map((c) => `<th scope="col">${esc(c.label)}</th>`).join('');
  // A column of sentences (a verdict's reasons, a note) keeps a readable width in a wide table.
  const prose = new Set(
    t.columns
      .filter((c) => c.format === 'text' && t.rows.some((r) => String(r[c.key] ?? '').length > 40))
      .map((c) => c.key),
  );
  const body = t.rows
    .map(
      (r) =>
        `<tr>${t.columns
          .map((c, i) => {
            const text = formatCell(r[c.key] ?? null, c);
            const cls = numericColumn(c)
              ? ' class="num"'
              : c.format === 'status' && text
                ? ` class="status-${esc(text.replace(/\s+/g, '-'))} nowrap"`
                : c.format === 'date'
                  ? ' class="nowrap"'
                  : prose.has(c.key) && i > 0
                    ? ' class="prose"'
                    : '';
            return i === 0 ? `<th scope="row"${cls}>${esc(text)}</th>` : `<td${cls}>${esc(text)}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table id="${esc(t.id)}"><caption>${esc(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>${t.note ? `<p class="muted">${esc(t.note)}</p>` : ''}`;
}

/** What the reader of a chart must know about its stored state (no baseline stored yet, behind the data). */
export function chartNote(doc: ChartDocument): string | null {
  const note = (doc as { note?: string | null }).note;
  return typeof note === 'string' && note !== '' ? note : null;
}

/** A chart document drawn by the project's one renderer, as inline SVG with unique ids. */
export function chartSvg(doc: ChartDocument, idPrefix: string, width = 960): string {
  return renderChartSvg(kpiChartModel(doc), { width, idPrefix });
}

export function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'text':
      return `<p>${esc(b.text)}</p>`;
    case 'table':
      return tableHtml(b);
    case 'chart':
      return `<figure id="${esc(b.id)}"><figcaption>${esc(b.caption)}</figcaption>${chartSvg(b.document, b.id)}${chartNote(b.document) ? `<p class="note">${esc(chartNote(b.document) as string)}</p>` : ''}</figure>`;
    case 'placeholder':
      return `<div class="placeholder" role="note"><strong>${esc(b.label)} — to be completed by the review</strong><span>${esc(b.prompt)}</span></div>`;
  }
}

/** The pack's sections as HTML (inside a page of the web view, or the standalone pack). */
export function packBodyHtml(pack: ReviewPack, headingLevel = 2): string {
  const h = `h${headingLevel}`;
  const toc = pack.sections
    .map((s) => `<li><a href="#section-${s.id}">${esc(s.clause)} ${esc(s.title)}</a></li>`)
    .join('');
  const sections = pack.sections
    .map(
      (s) =>
        `<section id="section-${s.id}" aria-labelledby="heading-${s.id}"><${h} id="heading-${s.id}">${esc(s.clause)} ${esc(s.title)}</${h}>\n${s.blocks.map(blockHtml).join('\n')}</section>`,
    )
    .join('\n');
  const p = pack.provenance;
  const provenance = `<section id="provenance" aria-labelledby="heading-provenance"><${h} id="heading-provenance">Provenance</${h}>
<dl>
<dt>Command</dt><dd><code>${esc(p.command)}</code></dd>
<dt>Generated</dt><dd>${esc(p.generatedAt)}</dd>
<dt>Evaluated as of</dt><dd>${esc(p.asOf)} (the end of ${esc(p.quarter.id)}: periods ending later are open and not judged)</dd>
<dt>Data window</dt><dd>${esc(p.dataWindow.firstEvent ?? 'no events')} to ${esc(p.dataWindow.lastEvent ?? 'no events')}</dd>
<dt>Methods</dt><dd>${Object.entries(p.methods)
    .map(([k, v]) => `${esc(k)}: ${esc(String(v))}`)
    .join('; ')}</dd>
</dl>
${tableHtml({
  kind: 'table',
  id: 'provenance-events',
  caption: 'Events stored up to the quarter end, by type',
  columns: [
    { key: 'type', label: 'Type', format: 'text' },
    { key: 'total', label: 'Total', format: 'int' },
    { key: 'inQuarter', label: `In ${p.quarter.id}`, format: 'int' },
  ],
  rows: p.events,
  empty: 'no events',
})}
${tableHtml({
  kind: 'table',
  id: 'provenance-formulas',
  caption: 'KPI formulas used',
  columns: [
    { key: 'kpi', label: 'KPI', format: 'text' },
    { key: 'ref', label: 'Definition', format: 'text' },
    { key: 'version', label: 'Version', format: 'int' },
  ],
  rows: p.formulas,
  empty: 'none',
})}
${tableHtml({
  kind: 'table',
  id: 'provenance-baselines',
  caption: 'Baseline versions used',
  columns: [
    { key: 'baselineId', label: 'Baseline', format: 'text' },
    { key: 'kpi', label: 'KPI', format: 'text' },
    { key: 'team', label: 'Team', format: 'text' },
    { key: 'grain', label: 'Per', format: 'text' },
    { key: 'stageFrom', label: 'Stage from', format: 'date' },
    { key: 'version', label: 'Version', format: 'int' },
    { key: 'status', label: 'Status', format: 'status' },
  ],
  rows: p.baselines,
  empty: 'none',
})}
</section>`;
  return `<nav aria-label="Sections of the pack"><ol>${toc}<li><a href="#provenance">Provenance</a></li></ol></nav>\n${sections}\n${provenance}`;
}

/** The standalone pack: one HTML file, inline CSS and SVG, no script, no external request. */
export function renderPackHtml(pack: ReviewPack): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(pack.title)}</title>
<style>${BASE_CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to the pack</a>
<main id="main">
<h1>${esc(pack.title)}</h1>
<p class="muted">ISO 9001:2015 clause 9.3.2 inputs, in order. Generated ${esc(pack.generatedAt)}; every number evaluated as of ${esc(pack.provenance.asOf)}. Sections marked "to be completed by the review" need human input.</p>
${packBodyHtml(pack)}
<footer>Shewhart review pack ${esc(pack.id)} · <code>${esc(pack.provenance.command)}</code></footer>
</main>
</body>
</html>
`;
}
