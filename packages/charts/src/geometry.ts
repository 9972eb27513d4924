/** Reading limits and zone boundaries from the model; shared by the renderer and its description. */
import type { ChartStage, Limit } from './model.js';

export interface Stage {
  start: number;
  end: number;
  source: ChartStage;
}

/** The value of a limit at position k of its stage, or null. */
export function at(limit: Limit | undefined, k: number): number | null {
  const v = Array.isArray(limit) ? limit[k] : limit;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Zone boundaries [lcl, −2σ, −1σ, centre, +1σ, +2σ, ucl] at one point, or null without limits. */
export function zoneBounds(
  c: number | null,
  u: number | null,
  l: number | null,
  s: number | null,
  mode: 'linear' | 'geometric',
): number[] | null {
  if (c === null || u === null || l === null || !(u > l)) return null;
  const up: number[] = [];
  const lo: number[] = [];
  for (const k of [1, 2]) {
    if (s !== null && s > 0) {
      up.push(c + k * s);
      lo.push(c - k * s);
    } else if (mode === 'geometric' && c > 0 && l > 0) {
      up.push(Math.exp(Math.log(c) + (k / 3) * (Math.log(u) - Math.log(c))));
      lo.push(Math.exp(Math.log(c) - (k / 3) * (Math.log(c) - Math.log(l))));
    } else {
      const w = Math.max(u - c, c - l);
      up.push(c + (k * w) / 3);
      lo.push(c - (k * w) / 3);
    }
  }
  const clip = (v: number) => Math.min(u, Math.max(l, v));
  return [
    l,
    clip(lo[1] as number),
    clip(lo[0] as number),
    clip(c),
    clip(up[0] as number),
    clip(up[1] as number),
    u,
  ];
}
