import type { Block, ReviewPack } from '../pack.js';
import { formatCell, numericColumn, type TableBlock } from './format.js';
import { chartNote, chartSvg } from './html.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function tableMd(t: TableBlock): string {
  if (t.rows.length === 0) return `**${t.caption}:** ${t.empty}`;
  const head = `| ${t.columns.map((c) => cell(c.label)).join(' | ')} |`;
  const rule = `| ${t.columns.map((c) => (numericColumn(c) ? '---:' : '---')).join(' | ')} |`;
  const rows = t.rows.map(
    (r) => `| ${t.columns.map((c) => cell(formatCell(r[c.key] ?? null, c))).join(' | ')} |`,
  );
  return [`**${t.caption}**`, '', head, rule, ...rows, ...(t.note ? ['', `_${t.note}_`] : [])].join('\n');
}

/**
 * The pack as Markdown, with each chart as an SVG file beside it (`charts/<id>.svg`, linked from the
 * text). Returns the Markdown and the files to write next to it.
 */
export function renderPackMarkdown(
  pack: ReviewPack,
  options: { chartDir?: string } = {},
): { markdown: string; files: { path: string; content: string }[] } {
  const chartDir = options.chartDir ?? 'charts';
  const files: { path: string; content: string }[] = [];
  const block = (b: Block): string => {
    switch (b.kind) {
      case 'text':
        return b.text;
      case 'table':
        return tableMd(b);
      case 'chart': {
        const path = `${chartDir}/${b.id}.svg`;
        files.push({ path, content: chartSvg(b.document, b.id) });
        const note = chartNote(b.document);
        return `![${cell(b.caption)}](${path})${note ? `\n\n_${note}_` : ''}`;
      }
      case 'placeholder':
        return `> **${b.label} — to be completed by the review.** ${b.prompt}`;
    }
  };
  const p = pack.provenance;
  const out = [
    `# ${pack.title}`,
    '',
    `ISO 9001:2015 clause 9.3.2 inputs, in order. Generated ${pack.generatedAt}; every number evaluated as of ${p.asOf}.`,
    '',
    ...pack.sections.flatMap((s) => [
      `## ${s.clause} ${s.title}`,
      '',
      ...s.blocks.flatMap((b) => [block(b), '']),
    ]),
    '## Provenance',
    '',
    `- Command: \`${p.command}\``,
    `- Generated: ${p.generatedAt}`,
    `- Evaluated as of: ${p.asOf}`,
    `- Data window: ${p.dataWindow.firstEvent ?? 'no events'} to ${p.dataWindow.lastEvent ?? 'no events'}`,
    ...Object.entries(p.methods).map(([k, v]) => `- ${k}: ${v}`),
    '',
    tableMd({
      kind: 'table',
      id: 'events',
      caption: 'Events stored up to the quarter end, by type',
      columns: [
        { key: 'type', label: 'Type', format: 'text' },
        { key: 'total', label: 'Total', format: 'int' },
        { key: 'inQuarter', label: `In ${p.quarter.id}`, format: 'int' },
      ],
      rows: p.events,
      empty: 'no events',
    }),
    '',
    tableMd({
      kind: 'table',
      id: 'formulas',
      caption: 'KPI formulas used',
      columns: [
        { key: 'kpi', label: 'KPI', format: 'text' },
        { key: 'ref', label: 'Definition', format: 'text' },
        { key: 'version', label: 'Version', format: 'int' },
      ],
      rows: p.formulas,
      empty: 'none',
    }),
    '',
    tableMd({
      kind: 'table',
      id: 'baselines',
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
    }),
    '',
  ];
  return { markdown: out.join('\n'), files };
}
