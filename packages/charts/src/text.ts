/** Text helpers of the renderer: escaping, number formatting, width estimates, axis ticks. */

export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A coordinate with one decimal (SVG needs no more at screen resolution). */
export function px(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** A value for a label: at most 4 significant digits below 1000, whole numbers above. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000 || Number.isInteger(v)) return Math.round(v).toString();
  if (a >= 100) return trim(v.toFixed(1));
  if (a >= 1) return trim(v.toFixed(2));
  return trim(v.toPrecision(3));
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * Width of a text in px. The renderer embeds no font (no external requests), so it estimates with an
 * average advance of 0.58 em, which holds for DejaVu Sans / Arial / Helvetica digits and lower case.
 */
export function textWidth(s: string, fontSize: number): number {
  return s.length * fontSize * 0.58;
}

/** Splits a text into lines no wider than `width` px, at spaces. */
export function wrap(s: string, width: number, fontSize: number): string[] {
  const words = s.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line === '' ? w : `${line} ${w}`;
    if (line !== '' && textWidth(next, fontSize) > width) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A "nice" axis: a domain widened to whole tick steps of 1, 2 or 5 × 10^k, and its ticks. */
export function niceAxis(
  lo: number,
  hi: number,
  count: number,
): { lo: number; hi: number; ticks: number[]; decimals: number } {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag) as number;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // Spans near the limits of double precision (subnormal, or ±1e306): the bare range, no rounding.
  if (!(step > 0 && Number.isFinite(first) && Number.isFinite(last) && last - first <= 4 * count + 2)) {
    return { lo, hi, ticks: [lo, hi], decimals: 2 };
  }
  // Decimals that print the step exactly (0.25 → 2, 25 → 0, 2.5 → 1); toFixed takes at most 100.
  const own = Math.floor(Math.log10(step) + 1e-9);
  const half = Math.abs(step / 10 ** own - 2.5) < 1e-9 ? 1 : 0;
  const decimals = Math.min(20, Math.max(0, half - own));
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toFixed(decimals)));
  return { lo: first * step, hi: last * step, ticks, decimals };
}

/** A short stable hash (FNV-1a) for default element ids. */
export function hashId(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}
