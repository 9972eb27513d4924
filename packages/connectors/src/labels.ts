import type {
  DetectionActivity,
  IntroducedPhase,
  Resolution,
  Severity,
  ShewhartEventInput,
} from '@shewhart/events';
import type { z } from 'zod';
import { envelope, type Scope } from './mapping.js';
import { DEFAULT_RESOLUTION_LABELS, type GithubSource } from './sources.section.js';

type LabelOptions = Pick<
  GithubSource,
  | 'defectLabels'
  | 'severityLabels'
  | 'activityLabels'
  | 'phaseLabels'
  | 'resolutionLabels'
  | 'defaultSeverity'
  | 'defaultActivity'
>;

/** What an issue's labels say about it as a defect (GitHub and GitLab label issues the same way). */
export interface Triage {
  severity: z.output<typeof Severity>;
  detectionActivity: z.output<typeof DetectionActivity>;
  introducedPhase: z.output<typeof IntroducedPhase>;
}

const lookup = <T>(table: Record<string, T>, labels: readonly string[]): T | undefined => {
  for (const l of labels) {
    if (table[l] !== undefined) return table[l];
    const hit = Object.entries(table).find(([k]) => k.toLowerCase() === l.toLowerCase());
    if (hit) return hit[1];
  }
  return undefined;
};

export function isDefect(options: LabelOptions, labels: readonly string[]): boolean {
  const wanted = new Set(options.defectLabels.map((l) => l.toLowerCase()));
  return labels.some((l) => wanted.has(l.toLowerCase()));
}

export function triage(options: LabelOptions, labels: readonly string[]): Triage {
  return {
    severity: lookup(options.severityLabels, labels) ?? options.defaultSeverity,
    detectionActivity: lookup(options.activityLabels, labels) ?? options.defaultActivity,
    introducedPhase: lookup(options.phaseLabels, labels) ?? 'unknown',
  };
}

export const sameTriage = (a: Triage, b: Triage) =>
  a.severity === b.severity &&
  a.detectionActivity === b.detectionActivity &&
  a.introducedPhase === b.introducedPhase;

/** How a closed defect was resolved: a resolution label first, then what the tool says, then `fixed`. */
export function resolutionOf(
  options: LabelOptions,
  labels: readonly string[],
  fromTool?: z.output<typeof Resolution>,
): z.output<typeof Resolution> {
  return (
    lookup(options.resolutionLabels, labels) ??
    lookup(DEFAULT_RESOLUTION_LABELS as Record<string, z.output<typeof Resolution>>, labels) ??
    fromTool ??
    'fixed'
  );
}

/** The label-driven part of an issue mapping, shared by GitHub and GitLab. */
export type IssueChange =
  | { kind: 'opened'; labels: string[] }
  | { kind: 'relabeled'; before: string[]; after: string[] }
  | { kind: 'closed'; labels: string[]; resolution?: z.output<typeof Resolution> }
  | { kind: 'reopened'; labels: string[] };

export type IssueOutcome =
  | { type: 'defect.reported'; triage: Triage; transition: 'opened' | 'triaged' }
  | { type: 'defect.resolved'; resolution: z.output<typeof Resolution>; transition: 'closed' | 'untriaged' }
  | { type: 'defect.reopened' }
  | { ignored: string };

/** Decides what a change of an issue means for the defect it is (or stops being). */
export function issueOutcome(options: LabelOptions, change: IssueChange): IssueOutcome {
  const notDefect = {
    ignored: `not a defect: no label of ${options.defectLabels.map((l) => `"${l}"`).join(', ')}`,
  };
  switch (change.kind) {
    case 'opened':
      return isDefect(options, change.labels)
        ? { type: 'defect.reported', triage: triage(options, change.labels), transition: 'opened' }
        : notDefect;
    case 'relabeled': {
      const was = isDefect(options, change.before);
      const is = isDefect(options, change.after);
      if (!was && !is) return notDefect;
      // A defect label removed: the issue was not a defect after all.
      if (was && !is) return { type: 'defect.resolved', resolution: 'not_a_defect', transition: 'untriaged' };
      const now = triage(options, change.after);
      if (was && sameTriage(triage(options, change.before), now)) {
        return { ignored: 'the label change does not change severity, activity or phase' };
      }
      return { type: 'defect.reported', triage: now, transition: 'triaged' };
    }
    case 'closed':
      return isDefect(options, change.labels)
        ? {
            type: 'defect.resolved',
            resolution: resolutionOf(options, change.labels, change.resolution),
            transition: 'closed',
          }
        : notDefect;
    case 'reopened':
      return isDefect(options, change.labels) ? { type: 'defect.reopened' } : notDefect;
  }
}

/** The facts of an issue that its defect event is made of (the same for GitHub and GitLab). */
export interface IssueFacts {
  source: string;
  scope: Scope;
  /** The tool's own id of the issue: event ids derive from it and the transition's time. */
  issueId: string;
  /** `<repository or project>#<number>`. */
  defectId: string;
  created: string;
  updated: string;
  closed?: string | undefined;
  url?: string | undefined;
}

/**
 * The contract event for an issue's outcome. The id is the issue's and the transition's (and its time),
 * never the delivery's, so a redelivery or backfill of the same change is the same event.
 */
export function defectEvent(
  outcome: Exclude<IssueOutcome, { ignored: string }>,
  issue: IssueFacts,
): ShewhartEventInput {
  const { source, scope, issueId, defectId, created, updated } = issue;
  if (outcome.type === 'defect.reported') {
    const opened = outcome.transition === 'opened';
    const time = opened ? created : updated;
    return {
      ...envelope(
        source,
        scope,
        opened ? `issue-${issueId}-opened` : `issue-${issueId}-triaged-${time}`,
        time,
      ),
      type: 'defect.reported',
      data: { defectId, ...outcome.triage, ...(issue.url ? { url: issue.url } : {}) },
    };
  }
  if (outcome.type === 'defect.resolved') {
    const time = outcome.transition === 'closed' ? (issue.closed ?? updated) : updated;
    return {
      ...envelope(source, scope, `issue-${issueId}-${outcome.transition}-${time}`, time),
      type: 'defect.resolved',
      data: { defectId, resolution: outcome.resolution },
    };
  }
  return {
    ...envelope(source, scope, `issue-${issueId}-reopened-${updated}`, updated),
    type: 'defect.reopened',
    data: { defectId },
  };
}
