import type { ChartDocument } from '@shewhart/baselines';

/**
 * The review pack as data: the ISO 9001 9.3.2 inputs in order (a, b, c1–c7, d, e, f), each a list of
 * blocks that every format renders the same way (HTML, Markdown, JSON). Tables hold raw numbers (never
 * formatted strings), so the JSON form carries every number the other forms show.
 */
export const SECTION_IDS = ['a', 'b', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'd', 'e', 'f'] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** How a table column is shown; the value itself stays a number (or text) in the JSON. */
export type ColumnFormat = 'text' | 'number' | 'int' | 'percent' | 'ratio' | 'p' | 'date' | 'status';

export interface Column {
  key: string;
  label: string;
  format: ColumnFormat;
  /** Unit shown after a number, e.g. `h` or `%` (percent columns already say %). */
  unit?: string;
}

export type Cell = string | number | boolean | null;

export type Block =
  | { kind: 'text'; text: string }
  | {
      kind: 'table';
      id: string;
      caption: string;
      columns: Column[];
      rows: Record<string, Cell>[];
      /** Shown when there are no rows. */
      empty: string;
      note?: string;
    }
  | { kind: 'chart'; id: string; caption: string; document: ChartDocument }
  /** Input only people can give (e.g. external issues): the pack leaves a labelled space for it. */
  | { kind: 'placeholder'; label: string; prompt: string };

export interface Section {
  id: SectionId;
  /** The ISO 9001:2015 clause of the input, e.g. `9.3.2 c) 1`. */
  clause: string;
  title: string;
  /** `data`: filled from data; `human`: a placeholder for the review; `mixed`: both. */
  source: 'data' | 'human' | 'mixed';
  blocks: Block[];
}

export interface Provenance {
  /** The exact command (or request) that produced the pack; it reproduces the numbers on the same data. */
  command: string;
  generatedAt: string;
  /** Evaluation time: the quarter's exclusive end; periods ending after it are open. */
  asOf: string;
  quarter: { id: string; from: string; to: string };
  scope: { team: string | null };
  dataWindow: { firstEvent: string | null; lastEvent: string | null };
  events: { type: string; total: number; inQuarter: number }[];
  baselines: {
    baselineId: string;
    kpi: string;
    team: string;
    grain: string;
    stageFrom: string;
    version: number;
    status: string;
  }[];
  formulas: { kpi: string; ref: string; version: number }[];
  methods: Record<string, string | number>;
}

export interface ReviewPack {
  /** `2026-Q3` for the organisation, `2026-Q3.payments` for a team. */
  id: string;
  quarter: string;
  team: string | null;
  generatedAt: string;
  title: string;
  sections: Section[];
  provenance: Provenance;
}

/** The id of the pack of a quarter and scope (team packs and the organisation's are kept apart). */
export function packId(quarter: string, team?: string | null): string {
  return team ? `${quarter}.${team}` : quarter;
}

/** Every chart block of a pack, in order. */
export function chartsOf(pack: ReviewPack): Extract<Block, { kind: 'chart' }>[] {
  return pack.sections.flatMap((s) => s.blocks.filter((b) => b.kind === 'chart'));
}
