/**
 * `pnpm bench spc [--series N] [--points M] [--seed S]`: evaluates N KPI series of M points each
 * with XmR limits, all Nelson rules and capability, as on every update of a large organisation's
 * KPIs. Prints series/s, per-series latency percentiles and peak RSS; asserts nothing.
 */
import { analyzeChart, createRng } from '@shewhart/spc';
import { mib, PeakRss, percentile } from './stats.js';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write('usage: pnpm bench spc [--series 10000] [--points 104] [--seed 1]\n');
    return;
  }
  const seriesCount = option(args, 'series', 10_000);
  const points = option(args, 'points', 104);
  const seed = option(args, 'seed', 1);
  // Synthetic weekly KPI series (two years of weeks): a level, noise and an occasional shift.
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const series: number[][] = [];
  for (let s = 0; s < seriesCount; s++) {
    const level = 20 + 80 * rng();
    const sd = 1 + 5 * rng();
    const shiftAt = rng() < 0.3 ? Math.floor(points * rng()) : points;
    series.push(Array.from({ length: points }, (_, i) => level + sd * gauss() + (i >= shiftAt ? 2 * sd : 0)));
  }
  const spec = { lsl: 0, usl: 120 };
  // Warm up the JIT on a slice so the figures describe steady state.
  for (let s = 0; s < Math.min(200, seriesCount); s++) {
    analyzeChart({
      chart: 'xmr',
      values: series[s] as number[],
      rules: 'nelson',
      spec,
      capabilityWhenUnstable: true,
    });
  }
  const rss = new PeakRss();
  const latencies = new Float64Array(seriesCount);
  let signals = 0;
  let unstable = 0;
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < seriesCount; s++) {
    const a = process.hrtime.bigint();
    const r = analyzeChart({ chart: 'xmr', values: series[s] as number[], rules: 'nelson', spec });
    latencies[s] = Number(process.hrtime.bigint() - a) / 1e6;
    signals += r.violations.length;
    if (r.capability?.reason === 'unstable') unstable++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peak = rss.stop();
  const sorted = Array.from(latencies).sort((x, y) => x - y);
  process.stdout.write(
    [
      `spc: ${seriesCount} series × ${points} points (XmR + Nelson 1–8 + capability)`,
      `  total        ${seconds.toFixed(3)} s`,
      `  throughput   ${Math.round(seriesCount / seconds).toLocaleString('en-US')} series/s`,
      `  latency      p50 ${percentile(sorted, 0.5).toFixed(3)} ms, p99 ${percentile(sorted, 0.99).toFixed(3)} ms per series`,
      `  peak RSS     ${mib(peak)}`,
      `  (rules fired in ${signals} rule×series, ${unstable} baselines unstable)`,
      '',
    ].join('\n'),
  );
}
