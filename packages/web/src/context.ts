import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';

/** One alert as the web view shows it (the alerts package's record, narrowed to what a page needs). */
export interface WebAlert {
  id: string;
  class: string;
  severity: string;
  state: 'firing' | 'resolved';
  title: string;
  kpi: string;
  team: string;
  project: string;
  grain: string;
  periodStart: string | null;
  value: number | null;
  startedAt: string;
  resolvedAt: string | null;
  ackedBy: string | null;
  ackNote: string | null;
  ackedAt: string | null;
}

/** The alerts of this deployment, when it has them: listing and acknowledging. */
export interface AlertsPort {
  list(filter: { state?: 'firing' | 'resolved'; limit?: number }): Promise<WebAlert[]>;
  acknowledge(id: string, by: string, note: string): Promise<void>;
}

/** What the pages read from. */
export interface WebContext {
  states: EntityStates;
  objectives?: ObjectiveService;
  alerts?: AlertsPort;
}
