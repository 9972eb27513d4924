import { GRAINS } from '@shewhart/kpi';
import { z } from 'zod';

const date = z.iso.date({ message: 'must be a date YYYY-MM-DD' });
const finite = z.number({ message: 'must be a number' }).finite();

const Spec = z
  .object({ lsl: finite.optional(), usl: finite.optional(), target: finite.optional() })
  .strict()
  .refine((s) => s.lsl !== undefined || s.usl !== undefined, { message: 'needs lsl or usl' })
  .refine((s) => s.lsl === undefined || s.usl === undefined || s.lsl < s.usl, {
    message: 'lsl must be below usl',
    path: ['lsl'],
  });

const Scope = z.union([
  z.literal('org'),
  z.object({ team: z.string().min(1), project: z.string().min(1).optional() }).strict(),
]);

/**
 * One quality objective (ISO 9001 6.2; CMMI quality and process-performance objectives): a KPI, a
 * scope, a direction and a target (or a band for `range`), optional specification limits for
 * capability, the evaluation period, an owner and a due date. Control limits never come from here.
 */
export const Objective = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
    title: z.string().min(1).optional(),
    kpi: z.string().min(1),
    scope: Scope.default('org'),
    direction: z.enum(['lower', 'higher', 'range']),
    target: finite.optional(),
    band: z.object({ low: finite, high: finite }).strict().optional(),
    spec: Spec.optional(),
    period: z.enum(GRAINS).default('month'),
    owner: z.string().min(1),
    due: date.optional(),
    /** The value the improvement starts from, for "progress from baseline". */
    baseline: finite.optional(),
    /** Minimum practical effect for an improvement verdict (docs/methods.md §6.4), in KPI units. */
    minEffect: finite.nonnegative().optional(),
    /** Size unit or phase, for KPIs with one series per unit/phase. */
    unit: z.string().optional(),
    phase: z.string().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.direction === 'range') {
      if (!o.band)
        ctx.addIssue({ code: 'custom', path: ['band'], message: 'is required when direction is range' });
      else if (!(o.band.low < o.band.high))
        ctx.addIssue({ code: 'custom', path: ['band', 'low'], message: 'must be below band.high' });
      if (o.target !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['target'],
          message: 'use band (not target) with direction range',
        });
    } else if (o.target === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `is required when direction is ${o.direction}`,
      });
    }
  });

/** The `objectives` section of the configuration file: the objectives, ids unique. */
export const ObjectivesSection = z.array(Objective).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((o, i) => {
    const first = seen.get(o.id);
    if (first !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'id'],
        message: `duplicates objectives[${first}].id "${o.id}"`,
      });
    }
    seen.set(o.id, i);
  });
});

export type Objective = z.output<typeof Objective>;
