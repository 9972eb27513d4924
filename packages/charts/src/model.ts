/**
 * The neutral chart model every chart of the project is drawn from. Callers map their own documents
 * (a KPI chart document, an `spc` result) onto it; the renderer knows nothing of KPIs or SPC engines.
 * All values are in display units (the unit on the y axis).
 */

/** One value for the whole stage, one per point of the stage (p/u charts), or absent (null). */
export type Limit = number | null | readonly (number | null)[];

export interface ChartPoint {
  /** The x-axis label: a period start (YYYY-MM-DD) or a point number. */
  x: string;
  /** The plotted value; null leaves a gap. */
  value: number | null;
  /** An unfinished period: its value is partial, it is drawn hollow and was never evaluated. */
  open?: boolean;
  /** Rules that flagged the point against its own stage's limits; a signal when non-empty. */
  rules?: readonly string[];
  /** Rules the point fires against the previous stage's limits (evidence of a shift). */
  shift?: readonly string[];
  /** Removed from the baseline for a recorded assignable cause. */
  excluded?: boolean;
  /** More text for the point's tooltip. */
  note?: string;
}

export interface ChartStage {
  /** 0-based index of the stage's first point; a stage runs to the next stage's start. */
  start: number;
  /** Shown above the plot at the stage's start, e.g. "stage 2 · provisional". */
  label?: string;
  center: Limit;
  ucl: Limit;
  lcl: Limit;
  /**
   * Standard error of the plotted value, for the zone boundaries at ±1σ and ±2σ. Without it the zones
   * divide the wider side of the limits in thirds (limits clamped to a range stay correct on one side).
   */
  sigma?: Limit;
  /** 0-based index of the first Phase-II (monitored) point, when the stage has one. */
  phase2Start?: number;
}

export interface ChartModel {
  /** The chart's name (a KPI's title). */
  title: string;
  /** A second line: identifiers and scope (a KPI's id, team, period, chart type). */
  subtitle?: string;
  /** The y-axis title: the unit of the values. */
  unit?: string;
  /** The x-axis title, e.g. "week starting". */
  xTitle?: string;
  points: readonly ChartPoint[];
  stages?: readonly ChartStage[];
  /** The quality objective: a target line, or a band [low, high] for a range objective. */
  objective?: { target?: number; band?: { low: number; high: number }; label?: string };
  /** Specification limits (capability). */
  spec?: { lsl?: number; usl?: number; target?: number };
  /** The rule set in words, e.g. "beyond 3σ (WE1); 8 in a row on one side of the centre (WE4)". */
  rules?: string;
  /**
   * How zones divide the limits: `linear` (default), `geometric` for limits back-transformed from a
   * log scale (asymmetric, the centre a geometric mean), or `none`.
   */
  zones?: 'linear' | 'geometric' | 'none';
  /** The range the values can take (a percentage: 0..100); the y axis never extends past it. */
  bounds?: { min?: number; max?: number };
  /** Width of the control limits in σ (3 unless an EWMA's L); named in the legend. */
  nsigmas?: number;
  /** Text shown when there are no points. */
  emptyMessage?: string;
}

export interface RenderOptions {
  /** Total width in px (default 960). */
  width?: number;
  /** Height of the plot area in px (default 300); the header, axes, legend and note add to it. */
  plotHeight?: number;
  /** Prefix of the element ids (`<title>`/`<desc>`), unique per chart on one page; default from the title. */
  idPrefix?: string;
}
