import {
  reviewCostPerDefect,
  reviewDefectDensity,
  reviewDetectionRate,
  reviewEffectiveness,
  reviewRate,
} from '../sql/reviews.sql.js';
import { define, REVIEW_SIZE_UNIT } from './define.js';

/** Review / inspection KPIs (docs/methods.md §3.3), by the review's completion time. */
export const REVIEW_KPIS = [
  define({
    id: 'review_rate',
    title: 'Review rate',
    unit: 'size per hour',
    better: 'band',
    chart: 'XmR',
    formula: {
      ref: 'docs/methods.md §3.3',
      version: 1,
      text: 'Σ sizeReviewed / Σ durationHours over reviews in the chosen size unit reporting a positive duration',
    },
    aggregation: 'ratio',
    dimension: REVIEW_SIZE_UNIT,
    sql: reviewRate,
  }),
  define({
    id: 'review_defect_density',
    title: 'Review defect density',
    unit: 'defects per KLOC or page',
    better: 'higher',
    chart: 'u',
    formula: {
      ref: 'docs/methods.md §3.3',
      version: 1,
      text: 'Σ defectsFound / Σ sizeReviewed over reviews in the chosen size unit; per KLOC for loc (size / 1000), per page or requirement otherwise',
    },
    aggregation: 'ratio',
    dimension: REVIEW_SIZE_UNIT,
    sql: reviewDefectDensity,
  }),
  define({
    id: 'review_detection_rate',
    title: 'Review detection rate',
    unit: 'defects per person-hour',
    better: 'higher',
    chart: 'XmR',
    formula: {
      ref: 'docs/methods.md §3.3',
      version: 1,
      text: 'Σ defectsFound / Σ (preparationHours + meetingHours) over reviews reporting either (a missing one counts 0)',
    },
    aggregation: 'ratio',
    sql: reviewDetectionRate,
  }),
  define({
    id: 'review_effectiveness',
    title: 'Review effectiveness',
    unit: '%',
    better: 'higher',
    chart: 'p',
    formula: {
      ref: 'docs/methods.md §3.3',
      version: 1,
      text: 'Σ defectsFound / Σ (defectsFound + later valid defects with originWorkProductId = the workProductId) × 100 over reviews with a workProductId; a later defect is charged to the latest earlier review of its work product and counts when reported within 90 days after it (reviews carry no release, so the window starts at the review); provisional until the newest review of the period is 90 days old at asOf',
    },
    aggregation: 'ratio',
    sql: reviewEffectiveness,
  }),
  define({
    id: 'review_cost_per_defect',
    title: 'Review cost per defect',
    unit: 'hours',
    better: 'lower',
    chart: 'XmR',
    formula: {
      ref: 'docs/methods.md §3.3',
      version: 1,
      text: 'Σ (preparationHours + meetingHours + reworkHours, missing = 0) / Σ defectsFound over reviews in the period',
    },
    aggregation: 'ratio',
    sql: reviewCostPerDefect,
  }),
] as const;
