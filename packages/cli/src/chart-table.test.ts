import type { ChartDocument } from '@shewhart/baselines';
import { describe, expect, it } from 'vitest';
import { printChart } from './chart-table.js';

const doc = {
  kpi: 'lead_time_for_changes',
  title: 'Lead time for changes',
  unit: 'hours',
  better: 'lower',
  scope: { team: 'payments', project: null },
  period: 'week',
  asOf: '2026-12-02T00:00:00.000Z',
  chart: 'xmr-ln',
  rules: ['WE1', 'WE4'],
  stale: false,
  pending: { baselines: 0, signals: 0 },
  note: null,
  stages: [],
  points: [],
  skipped: [],
  signals: [],
  capability: null,
  target: { objective: 'payments-lead-time', direction: 'lower', value: 24, band: null },
  spec: { usl: 48 },
  objective: { id: 'payments-lead-time' },
} as unknown as ChartDocument;

describe('kpi chart table', () => {
  it("shows the objective's target and the specification limits beside the control limits", () => {
    const text = printChart(doc, 'Lead time for changes (hours)');
    expect(text).toContain('objective payments-lead-time: ≤ 24');
    expect(text).toContain('specification: USL 48');
  });

  it('shows a band objective as a range, and nothing when no objective applies', () => {
    const band = {
      ...doc,
      target: { objective: 'b', direction: 'range', value: null, band: { low: 5, high: 9 } },
    };
    expect(printChart(band as ChartDocument, 't')).toContain('objective b: within 5–9');
    const none = printChart({ ...doc, target: null, spec: null } as ChartDocument, 't');
    expect(none).not.toMatch(/objective|specification/);
  });
});
