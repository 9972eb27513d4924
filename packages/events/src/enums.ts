import { z } from 'zod';

/** Enumerations of the event contract v1 (docs/events.md). Lower-case snake_case, exactly as specified. */
export const Severity = z.enum(['critical', 'major', 'minor', 'trivial']);
export const DetectionActivity = z.enum([
  'requirements_review',
  'design_review',
  'code_review',
  'unit_test',
  'integration_test',
  'system_test',
  'acceptance_test',
  'production',
  'customer',
]);
export const IntroducedPhase = z.enum(['requirements', 'design', 'code', 'test', 'deployment', 'unknown']);
export const ReportedBy = z.enum(['internal', 'customer', 'partner', 'monitoring']);
export const Resolution = z.enum(['fixed', 'duplicate', 'not_a_defect', 'wont_fix', 'cannot_reproduce']);
export const ReleaseSizeUnit = z.enum(['kloc', 'function_points', 'story_points']);
export const DeploymentStatus = z.enum(['success', 'failed', 'rolled_back', 'cancelled']);
export const WorkProductType = z.enum(['code', 'design', 'requirements', 'test']);
export const ReviewSizeUnit = z.enum(['loc', 'pages', 'requirements']);
export const ReviewOutcome = z.enum(['approved', 'changes_requested', 'rejected']);
export const CapaOrigin = z.enum([
  'escaped_defect',
  'customer_complaint',
  'audit_finding',
  'missed_objective',
  'process_deviation',
  'supplier',
]);
export const CapaEffectiveness = z.enum(['effective', 'not_effective', 'pending']);
export const SurveyScale = z.enum(['csat_1_5', 'nps_0_10']);
