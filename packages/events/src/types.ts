import { z } from 'zod';
import {
  CapaEffectiveness,
  CapaOrigin,
  DeploymentStatus,
  DetectionActivity,
  IntroducedPhase,
  ReleaseSizeUnit,
  ReportedBy,
  Resolution,
  ReviewOutcome,
  ReviewSizeUnit,
  Severity,
  SurveyScale,
  WorkProductType,
} from './enums.js';
import { Hours, Id, Ref, Size, Timestamp } from './primitives.js';

/**
 * Payload schemas of every event type of contract v1. `looseObject` keeps unknown fields: the contract
 * stores them but never requires them. Identifiers and references (`Id`, `Ref`) refuse every control
 * character; any other string, unknown fields included, is free text (see `validateEvent`).
 */
const defectReported = z.looseObject({
  defectId: Id,
  severity: Severity,
  detectionActivity: DetectionActivity,
  introducedPhase: IntroducedPhase.default('unknown'),
  reportedBy: ReportedBy.default('internal'),
  component: z.string().optional(),
  releaseFoundIn: Ref.optional(),
  releaseIntroduced: Ref.optional(),
  originWorkProductId: Ref.optional(),
  rootCauseCategory: z.string().optional(),
});

const defectResolved = z.looseObject({
  defectId: Id,
  resolution: Resolution,
  rootCauseCategory: z.string().optional(),
});

const defectReopened = z.looseObject({ defectId: Id });

const releasePlanned = z.looseObject({
  releaseId: Id,
  plannedEnd: Timestamp,
  plannedStart: Timestamp.optional(),
  plannedEffortHours: Hours.optional(),
});

const release = z.looseObject({
  releaseId: Id,
  plannedEnd: Timestamp,
  plannedStart: Timestamp.optional(),
  actualStart: Timestamp.optional(),
  plannedEffortHours: Hours.optional(),
  actualEffortHours: Hours.optional(),
  sizeDelivered: Size.optional(),
  sizeUnit: ReleaseSizeUnit.optional(),
});

const deployment = z.looseObject({
  deploymentId: Id,
  environment: Ref.min(1),
  status: DeploymentStatus,
  releaseId: Ref.optional(),
  changes: z.array(z.looseObject({ changeId: Id, committedAt: Timestamp })).optional(),
  changeFailure: z.boolean().optional(),
});

const incidentOpened = z.looseObject({
  incidentId: Id,
  severity: Severity.optional(),
  causedByDeploymentId: Ref.optional(),
});

const incidentResolved = z.looseObject({ incidentId: Id });

const reviewCompleted = z.looseObject({
  reviewId: Id,
  workProductType: WorkProductType,
  sizeReviewed: Size,
  sizeUnit: ReviewSizeUnit,
  defectsFound: z.number().int().nonnegative(),
  defectsBySeverity: z
    .looseObject({
      critical: z.number().int().nonnegative().optional(),
      major: z.number().int().nonnegative().optional(),
      minor: z.number().int().nonnegative().optional(),
      trivial: z.number().int().nonnegative().optional(),
    })
    .optional(),
  workProductId: Ref.optional(),
  preparationHours: Hours.optional(),
  meetingHours: Hours.optional(),
  reworkHours: Hours.optional(),
  durationHours: Hours.optional(),
  participants: z.number().int().nonnegative().optional(),
  outcome: ReviewOutcome.optional(),
});

const capaOpened = z.looseObject({
  capaId: Id,
  origin: CapaOrigin,
  severity: Severity.optional(),
  recurrenceKey: Ref.optional(),
  dueAt: Timestamp.optional(),
});

const capaUpdated = z.looseObject({
  capaId: Id,
  containedAt: Timestamp.optional(),
  rootCauseCategory: z.string().optional(),
  recurrenceKey: Ref.optional(),
  dueAt: Timestamp.optional(),
  implementedAt: Timestamp.optional(),
});

const capaClosed = z.looseObject({ capaId: Id, effectiveness: CapaEffectiveness.optional() });

const feedbackSurvey = z
  .looseObject({
    scale: SurveyScale,
    score: z.number().int(),
    customerId: Ref.optional(),
  })
  .superRefine((d, ctx) => {
    const [lo, hi] = d.scale === 'csat_1_5' ? [1, 5] : [0, 10];
    if (d.score < lo || d.score > hi) {
      ctx.addIssue({
        code: 'custom',
        path: ['score'],
        message: `must be an integer from ${lo} to ${hi} on ${d.scale}`,
      });
    }
  });

const feedbackComplaint = z.looseObject({
  complaintId: Id,
  customerId: Ref.optional(),
  severity: Severity.optional(),
});

const processChanged = z.looseObject({
  changeId: Id,
  kpi: Ref.min(1),
  description: z.string().min(1),
});

/** The event type catalogue: one entry per type, everything else is derived from it. */
export const EVENT_TYPES = {
  'defect.reported': { data: defectReported, summary: 'A defect was found (or re-triaged).' },
  'defect.resolved': { data: defectResolved, summary: 'A defect was resolved.' },
  'defect.reopened': { data: defectReopened, summary: 'A resolved defect was reopened.' },
  'delivery.release.planned': { data: releasePlanned, summary: 'A release was committed or re-planned.' },
  'delivery.release': { data: release, summary: 'A release shipped.' },
  'delivery.deployment': { data: deployment, summary: 'A deployment finished.' },
  'delivery.incident.opened': { data: incidentOpened, summary: 'A production incident started.' },
  'delivery.incident.resolved': { data: incidentResolved, summary: 'Service was restored.' },
  'review.completed': { data: reviewCompleted, summary: 'A review or inspection was completed.' },
  'capa.opened': { data: capaOpened, summary: 'A corrective/preventive action was opened.' },
  'capa.updated': { data: capaUpdated, summary: 'A corrective action progressed.' },
  'capa.closed': { data: capaClosed, summary: 'A corrective action was closed.' },
  'feedback.survey': { data: feedbackSurvey, summary: 'A customer answered a survey.' },
  'feedback.complaint': { data: feedbackComplaint, summary: 'A customer complaint was received.' },
  'process.changed': { data: processChanged, summary: 'A process change starts a new baseline stage.' },
} as const;

export type EventType = keyof typeof EVENT_TYPES;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];
