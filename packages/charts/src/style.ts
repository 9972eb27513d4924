/**
 * Colours, dashes and marker shapes. Every kind of line or point differs from the others in shape or
 * dash as well as colour (the palette follows Okabe & Ito's colour-blind-safe set, darkened where a
 * line needs 3:1 contrast on white), so the chart reads in grey scale and for colour-blind readers.
 */
import { px } from './text.js';

export const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';

export const COLOR = {
  ink: '#1f1f1f',
  muted: '#595959',
  grid: '#e6e6e6',
  axis: '#767676',
  series: '#333333',
  center: '#007a5a',
  limit: '#c13c00',
  signal: '#d55e00',
  signalEdge: '#7a2e00',
  objective: '#0072b2',
  spec: '#882255',
  stage: '#3d3d3d',
  phase: '#8c8c8c',
  /** Zones C, B, A: one hue, darker towards the limits. */
  zone: { C: '#f4f7fa', B: '#e5ecf3', A: '#d3dee9' },
} as const;

export interface LineStyle {
  color: string;
  width: number;
  dash?: string;
}

export const LINE = {
  center: { color: COLOR.center, width: 1.6 },
  limit: { color: COLOR.limit, width: 1.5, dash: '7 4' },
  objective: { color: COLOR.objective, width: 2, dash: '12 4 2 4' },
  spec: { color: COLOR.spec, width: 1.8, dash: '2 3' },
  specTarget: { color: COLOR.spec, width: 1.4, dash: '10 3 2 3 2 3' },
  stage: { color: COLOR.stage, width: 1.5, dash: '5 3' },
  phase: { color: COLOR.phase, width: 1, dash: '1 3' },
} satisfies Record<string, LineStyle>;

export function lineAttrs(s: LineStyle): string {
  return `stroke="${s.color}" stroke-width="${s.width}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} fill="none"`;
}

export type MarkerKind = 'point' | 'open' | 'signal' | 'open-signal' | 'excluded' | 'shift';

/** A point marker centred on (x, y). */
export function marker(kind: MarkerKind, x: number, y: number): string {
  switch (kind) {
    case 'point':
      return `<circle cx="${px(x)}" cy="${px(y)}" r="3" fill="${COLOR.series}"/>`;
    case 'open':
      return `<circle class="open" cx="${px(x)}" cy="${px(y)}" r="3.6" fill="#ffffff" stroke="${COLOR.series}" stroke-width="1.5"/>`;
    case 'signal':
    case 'open-signal': {
      const r = 5.5;
      const d = `M${px(x)},${px(y - r)}L${px(x + r)},${px(y + r * 0.75)}L${px(x - r)},${px(y + r * 0.75)}Z`;
      return kind === 'signal'
        ? `<path class="signal" d="${d}" fill="${COLOR.signal}" stroke="${COLOR.signalEdge}" stroke-width="1"/>`
        : `<path class="signal open" d="${d}" fill="#ffffff" stroke="${COLOR.signal}" stroke-width="1.6"/>`;
    }
    case 'excluded': {
      const r = 3.5;
      return `<path class="excluded" d="M${px(x - r)},${px(y - r)}L${px(x + r)},${px(y + r)}M${px(x + r)},${px(y - r)}L${px(x - r)},${px(y + r)}" stroke="${COLOR.series}" stroke-width="1.8" fill="none"/>`;
    }
    case 'shift': {
      const r = 8;
      return `<path class="shift" d="M${px(x)},${px(y - r)}L${px(x + r)},${px(y)}L${px(x)},${px(y + r)}L${px(x - r)},${px(y)}Z" fill="none" stroke="${COLOR.objective}" stroke-width="1.4"/>`;
    }
  }
}
