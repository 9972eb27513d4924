import {
  ACTION_STATUSES,
  ActionUpdate,
  addAction,
  buildReviewPack,
  compareStored,
  listActions,
  listPacks,
  loadPack,
  NewAction,
  parseQuarter,
  parseRange,
  renderPackHtml,
  savePack,
  storedComparisonReport,
  updateAction,
} from '@shewhart/report';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type QueryContext, withinDeadline } from './context.js';
import { GrainSchema, KpiParams, Label, Text } from './schemas.js';

const PackParams = z.object({
  id: z
    .string()
    .regex(/^\d{4}-Q[1-4](\.[^/]{1,128})?$/, 'is not a review pack id (2026-Q3, or 2026-Q3.<team>)')
    .describe('the quarter, or quarter.team'),
});
const Range = z.string().max(30).describe('period starts FROM..TO, YYYY-MM-DD..YYYY-MM-DD');
const CompareQuery = z.object({
  before: Range,
  after: Range,
  period: GrainSchema.default('week'),
  team: Label.optional(),
  project: Label.optional(),
  unit: z.string().max(32).optional(),
  phase: z.string().max(32).optional(),
  alpha: z.coerce.number().gt(0).lt(1).optional(),
  minEffect: z.coerce.number().min(0).optional(),
  test: z.enum(['mann-whitney', 'welch']).optional(),
});
const Quarter = z.string().regex(/^\d{4}-Q[1-4]$/, 'must look like 2026-Q3');

/**
 * Quarterly review packs (ISO 9001 9.3.2 inputs) and the review's outputs (9.3.3). Reading a kept pack
 * never writes; `POST /v1/reports` generates one now and keeps it (the CLI's `report` through a server).
 */
export function registerReportRoutes(app: FastifyInstance, ctx: QueryContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const client = ctx.states.client;

  r.get(
    '/v1/reports',
    {
      config: { access: 'read' },
      schema: { summary: 'Kept quarterly review packs (latest generation of each)', tags: ['reports'] },
    },
    async () => withinDeadline(ctx.requestTimeoutMs, async () => ({ reports: await listPacks(client) })),
  );

  r.get(
    '/v1/reports/:id',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One kept review pack: JSON (every number), or the standalone HTML',
        tags: ['reports'],
        params: PackParams,
        querystring: z.object({ format: z.enum(['json', 'html']).default('json') }),
      },
    },
    async (request, reply) => {
      const pack = await withinDeadline(ctx.requestTimeoutMs, () => loadPack(client, request.params.id));
      if (request.query.format === 'html') {
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
          .send(renderPackHtml(pack));
      }
      return pack;
    },
  );

  r.post(
    '/v1/reports',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Generate the review pack of a quarter now and keep it (201, the pack as JSON)',
        tags: ['reports'],
        body: z.object({
          quarter: Quarter,
          team: Label.optional(),
          command: Text(500).optional().describe('the command that asked for it, for the provenance'),
        }),
      },
    },
    async (request, reply) => {
      const { quarter, team, command } = request.body;
      parseQuarter(quarter);
      const pack = await buildReviewPack(
        { states: ctx.states, objectives: ctx.objectives },
        {
          quarter,
          team: team ?? null,
          command: command ?? `POST /v1/reports ${JSON.stringify({ quarter, ...(team ? { team } : {}) })}`,
        },
      );
      await savePack(client, pack, command ? 'cli' : 'api');
      return reply.code(201).send(pack);
    },
  );

  r.get(
    '/v1/kpis/:id/compare',
    {
      config: { access: 'read' },
      schema: {
        summary:
          "Before/after tests and the improvement verdict on a KPI's stored series (docs/methods.md §6)",
        tags: ['reports'],
        params: KpiParams,
        querystring: CompareQuery,
      },
    },
    async (request) =>
      withinDeadline(
        ctx.requestTimeoutMs,
        async () => {
          const q = request.query;
          const c = await compareStored(ctx.states, ctx.objectives, {
            kpi: request.params.id,
            grain: q.period,
            before: parseRange(q.before, 'before'),
            after: parseRange(q.after, 'after'),
            ...(q.team ? { team: q.team } : {}),
            ...(q.project ? { project: q.project } : {}),
            ...(q.unit ? { unit: q.unit } : {}),
            ...(q.phase ? { phase: q.phase } : {}),
            ...(q.alpha !== undefined ? { alpha: q.alpha } : {}),
            ...(q.minEffect !== undefined ? { minEffect: q.minEffect } : {}),
            ...(q.test ? { test: q.test } : {}),
          });
          return storedComparisonReport(c);
        },
        { catchUp: ctx.states },
      ),
  );

  r.get(
    '/v1/review-actions',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Decisions and actions of management reviews (ISO 9001 9.3.3), current state',
        tags: ['reports'],
        querystring: z.object({
          quarter: Quarter.optional().describe('the review (quarter) they were recorded at'),
          team: Label.optional(),
          status: z.enum(ACTION_STATUSES).optional(),
        }),
      },
    },
    async (request) =>
      withinDeadline(ctx.requestTimeoutMs, async () => {
        const { quarter, team, status } = request.query;
        const actions = await listActions(client, {
          ...(quarter ? { packId: team ? `${quarter}.${team}` : quarter } : {}),
          ...(team !== undefined || quarter ? { team: team ?? null } : {}),
          ...(status ? { status } : {}),
        });
        return { actions };
      }),
  );

  r.post(
    '/v1/review-actions',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Record a decision or action of a review (201)',
        tags: ['reports'],
        body: NewAction,
      },
    },
    async (request, reply) => reply.code(201).send(await addAction(client, request.body)),
  );

  r.patch(
    '/v1/review-actions/:id',
    {
      config: { access: 'decide' },
      schema: {
        summary: 'Change an action: status, owner, due date, title or note (a new revision)',
        tags: ['reports'],
        params: z.object({ id: z.string().regex(/^ra-[0-9a-f]{10}$/, 'is not a review action id') }),
        body: ActionUpdate,
      },
    },
    async (request) => updateAction(client, request.params.id, request.body),
  );
}
