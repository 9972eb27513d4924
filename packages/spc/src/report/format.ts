/** Text renderings of chart and comparison results for terminals (pure: strings out). */
import type { ChartResult } from '../charts/engine.js';
import type { ComparisonResult } from '../compare/verdict.js';

export function fmt(v: number | null | undefined, digits = 5): string {
  if (v === null || v === undefined) return 'n/a';
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(digits)).toString();
}

function fmtLimit(v: number | number[]): string {
  if (typeof v === 'number') return fmt(v);
  return `${fmt(Math.min(...v))} … ${fmt(Math.max(...v))} (per point)`;
}

function grid(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The JSON document printed by `shewhart spc --format json` (the acceptance interface). */
export function chartReport(result: ChartResult): Record<string, unknown> {
  return {
    chart: result.chart,
    center: result.center,
    sigma: result.sigma,
    ucl: result.ucl,
    lcl: result.lcl,
    nsigmas: result.nsigmas,
    rules: result.rules,
    points: result.points.map((p) => ({
      index: p.index,
      value: p.value,
      ucl: p.ucl,
      lcl: p.lcl,
      z: p.z,
      rules: p.rules,
      reason: p.reason,
      zone: p.zone,
      center: p.center,
      uclUnclamped: p.uclUnclamped,
      lclUnclamped: p.lclUnclamped,
      sigma: p.sigma,
      phase: p.phase,
      stage: p.stage,
      excluded: p.excluded,
    })),
    violations: result.violations,
    ...(result.secondary ? { secondary: result.secondary } : {}),
    ...(result.capability ? { capability: result.capability } : {}),
    stages: result.stages,
    provenance: result.provenance,
  };
}

export function chartTable(result: ChartResult): string {
  const out: string[] = [];
  const s0 = result.stages;
  out.push(
    `Chart       ${result.chart}  (${result.points.length} points, ${s0.length} stage${s0.length > 1 ? 's' : ''}, sigma: ${result.provenance.sigmaMethod})`,
  );
  for (const s of s0) {
    const prefix = s0.length > 1 ? `Stage ${s.stage}     points ${s.start}–${s.end}\n` : '';
    const ucl = result.points.slice(s.start - 1, s.end).map((p) => p.ucl);
    const lcl = result.points.slice(s.start - 1, s.end).map((p) => p.lcl);
    const same = (xs: number[]) => xs.every((x) => x === xs[0]);
    out.push(
      `${prefix}Centre      ${fmt(s.center)}    sigma ${fmt(s.sigma)}\n` +
        `Limits      LCL ${same(lcl) ? fmt(lcl[0]) : 'per point'}    UCL ${same(ucl) ? fmt(ucl[0]) : 'per point'}\n` +
        `Baseline    points ${s.baseline.from}–${s.baseline.to}, ${s.baseline.used} used, ${s.baseline.status}` +
        (s.baseline.excluded.length ? `, excluded ${s.baseline.excluded.join(', ')}` : '') +
        (s.baseline.causesKept.length ? `, kept (not flagged) ${s.baseline.causesKept.join(', ')}` : ''),
    );
  }
  if (s0.length > 1) out.push(`Limits      LCL ${fmtLimit(result.lcl)}    UCL ${fmtLimit(result.ucl)}`);
  out.push(`Rules       ${result.rules.join(', ')}`);
  out.push(
    `Signals     ${
      result.violations.length
        ? result.violations.map((v) => `${v.rule}: ${v.indices.join(', ')}`).join('; ')
        : 'none'
    }`,
  );
  if (result.secondary) {
    const sec = result.secondary;
    out.push(
      `${sec.kind.padEnd(12)}CL ${fmtLimit(sec.center)}    UCL ${fmtLimit(sec.ucl)}    LCL ${fmtLimit(sec.lcl)}`,
    );
  }
  const c = result.capability;
  if (c) {
    if (c.reason) {
      out.push(
        `Capability  not computed: baseline ${c.reason} (signals at ${c.unexplainedSignals.join(', ')})`,
      );
    } else {
      const idx = ['cp', 'cpl', 'cpu', 'cpk', 'cpm', 'pp', 'ppl', 'ppu', 'ppk'] as const;
      out.push(
        `Capability  ${idx.map((k) => `${k.replace(/^c|^p/, (m) => m.toUpperCase())} ${fmt(c[k], 3)}`).join('  ')}`,
      );
      out.push(
        `Out of spec expected ${fmt((c.expectedOutOfSpec ?? 0) * 100, 3)}%   observed ${fmt((c.observedOutOfSpec ?? 0) * 100, 3)}%`,
      );
    }
  }
  out.push('');
  out.push(
    grid(
      ['#', 'value', 'LCL', 'CL', 'UCL', 'z', 'zone', 'phase', 'rules'],
      result.points.map((p) => [
        String(p.index),
        fmt(p.value),
        fmt(p.lcl),
        fmt(p.center),
        fmt(p.ucl),
        p.z.toFixed(2),
        p.zone,
        `${p.phase}${p.excluded ? ' excl' : ''}`,
        p.rules.join(' '),
      ]),
    ),
  );
  return `${out.join('\n')}\n`;
}

/** The JSON document printed by `shewhart compare --format json`, statistics as before − after. */
export function comparisonReport(r: ComparisonResult): Record<string, unknown> {
  return {
    welch: r.welch
      ? { t: r.welch.t, df: r.welch.df, p: r.welch.p, ci95: r.welch.ci, difference: r.welch.difference }
      : null,
    mannWhitney: { u: r.mannWhitney.u, p: r.mannWhitney.p, method: r.mannWhitney.method, z: r.mannWhitney.z },
    hodgesLehmann: r.hodgesLehmann,
    verdict: r.verdict,
    n: r.n,
    mean: r.mean,
    median: r.median,
    evidence: r.evidence,
  };
}

export function comparisonTable(r: ComparisonResult): string {
  const w = r.welch;
  const lines = [
    `Samples      before n=${r.n.before} mean ${fmt(r.mean.before)} median ${fmt(r.median.before)}`,
    `             after  n=${r.n.after} mean ${fmt(r.mean.after)} median ${fmt(r.median.after)}`,
    w
      ? `Welch t      t = ${fmt(w.t)}, df = ${fmt(w.df)}, p = ${fmt(w.p, 4)}, 95% CI [${fmt(w.ci[0])}, ${fmt(w.ci[1])}]`
      : 'Welch t      not computable',
    `Mann–Whitney U = ${fmt(r.mannWhitney.u)}, p = ${fmt(r.mannWhitney.p, 4)} (${r.mannWhitney.method})`,
    `Hodges–Lehmann shift (before − after) ${fmt(r.hodgesLehmann)}`,
    `SPC          ${r.evidence.spcSignal ? `signal (${r.evidence.spcRules.join(', ')})` : 'no signal'} in the ${r.evidence.direction}-is-better direction`,
    `Verdict      ${r.verdict}${r.evidence.reasons.length ? ` — ${r.evidence.reasons.join('; ')}` : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}
