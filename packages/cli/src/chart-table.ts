import type { ChartDocument } from '@shewhart/baselines';
import { formatNumber, table } from './format.js';

/** The chart document as a terminal table: stages, objective and specification, open periods, signals. */
export function printChart(doc: ChartDocument, title: string): string {
  const scope = doc.scope.team
    ? `team ${doc.scope.team}${doc.scope.project ? `, project ${doc.scope.project}` : ''}`
    : 'organisation';
  const lines: string[] = [
    `${title}, per ${doc.period}, ${scope} — ${doc.chart} chart, rules ${doc.rules.join(' + ')}`,
    '',
  ];
  if (doc.note) lines.push(`note: ${doc.note}`, '');
  // The objective and the specification limits beside the control limits (never instead of them).
  const t = doc.target;
  if (t && (t.value !== null || t.band)) {
    const goal = t.band
      ? `within ${formatNumber(t.band.low)}–${formatNumber(t.band.high)}`
      : `${t.direction === 'higher' ? '≥' : '≤'} ${formatNumber(t.value)}`;
    lines.push(`objective${t.objective ? ` ${t.objective}` : ''}: ${goal}`);
  }
  if (doc.spec) {
    const parts = [
      doc.spec.lsl !== undefined ? `LSL ${formatNumber(doc.spec.lsl)}` : '',
      doc.spec.target !== undefined ? `target ${formatNumber(doc.spec.target)}` : '',
      doc.spec.usl !== undefined ? `USL ${formatNumber(doc.spec.usl)}` : '',
    ].filter(Boolean);
    if (parts.length > 0) lines.push(`specification: ${parts.join(', ')}`);
  }
  if ((t && (t.value !== null || t.band)) || doc.spec) lines.push('');
  lines.push(
    table(
      ['stage', 'from', 'to', 'status', 'centre', 'UCL', 'LCL', 'shift vs previous stage'],
      doc.stages.map((s, k) => [
        String(k + 1),
        s.from,
        s.to ?? '-',
        s.status,
        formatNumber(s.center),
        s.ucl === null ? (s.status === 'insufficient' ? 'n/a' : 'varies') : formatNumber(s.ucl),
        s.lcl === null ? (s.status === 'insufficient' ? 'n/a' : 'varies') : formatNumber(s.lcl),
        s.evidence
          ? s.evidence.signals.length > 0
            ? `${s.evidence.signals.length} signals (${[...new Set(s.evidence.signals.flatMap((e) => e.rules))].join(', ')}), first ${s.evidence.signals[0]?.periodStart}`
            : 'none'
          : '',
      ]),
    ),
  );
  const flagged = doc.points.filter((p) => p.rules.length > 0);
  lines.push(`${doc.points.length} points, ${flagged.length} with signals against their own stage's limits`);
  // docs/methods.md §5.9 rule 7: an unfinished period is partial; it is listed but never evaluated.
  for (const p of doc.points.filter((x) => x.open)) {
    lines.push(
      `${p.periodStart} (open): ${formatNumber(p.value)} so far — the period has not ended, not evaluated`,
    );
  }
  if (flagged.length > 0) {
    lines.push(
      table(
        ['period', 'value', 'LCL', 'UCL', 'z', 'rules'],
        flagged.map((p) => [
          p.periodStart,
          formatNumber(p.value),
          formatNumber(p.lcl),
          formatNumber(p.ucl),
          p.z === null ? 'n/a' : p.z.toFixed(2),
          p.rules.join(', '),
        ]),
        [false, true, true, true, true, false],
      ),
    );
  }
  if (doc.capability) {
    const c = doc.capability;
    lines.push(
      c.reason === 'unstable'
        ? 'capability: not computed — the baseline has unexplained signals'
        : `capability (stage ${c.stage + 1}): Cpk ${formatNumber(c.cpk)}, Ppk ${formatNumber(c.ppk)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
