import { z } from 'zod';
import { EVENT_SCHEMAS } from './envelope.js';
import { EVENT_TYPE_NAMES, EVENT_TYPES, type EventType } from './types.js';

/** JSON Schema (draft 2020-12) of one event type, as clients send it (defaults are optional on input). */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  return {
    $id: `https://shewhart.dev/schemas/events/v1/${type}.json`,
    title: type,
    description: EVENT_TYPES[type].summary,
    ...z.toJSONSchema(EVENT_SCHEMAS[type], { io: 'input', unrepresentable: 'any' }),
  };
}

const errorDoc = {
  type: 'object',
  required: ['errors'],
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'path', 'message'],
        properties: {
          index: { type: 'integer', minimum: 0 },
          path: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] } },
          message: { type: 'string' },
        },
      },
    },
  },
};

const problem = { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } };

/** The OpenAPI 3.1 document of the HTTP API, generated from the same schemas the collector validates with. */
export function openApiDocument(version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const t of EVENT_TYPE_NAMES) {
    const { $id: _id, title: _title, $schema: _s, ...rest } = eventJsonSchema(t);
    schemas[schemaName(t)] = rest;
  }
  const anyEvent = {
    oneOf: EVENT_TYPE_NAMES.map((t) => ({ $ref: `#/components/schemas/${schemaName(t)}` })),
    discriminator: {
      propertyName: 'type',
      mapping: Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, `#/components/schemas/${schemaName(t)}`])),
    },
  };
  schemas.Event = anyEvent;
  schemas.ValidationErrors = errorDoc;
  schemas.Problem = problem;
  schemas.KpiSeries = {
    type: 'object',
    required: ['kpi', 'period', 'points'],
    properties: {
      kpi: { type: 'string' },
      period: { enum: ['day', 'week', 'month', 'quarter'] },
      points: {
        type: 'array',
        items: {
          type: 'object',
          required: ['periodStart', 'value', 'numerator', 'denominator', 'n', 'provisional'],
          properties: {
            periodStart: { type: 'string', format: 'date' },
            value: { type: ['number', 'null'] },
            numerator: { type: ['number', 'null'] },
            denominator: { type: ['number', 'null'] },
            n: { type: 'integer' },
            provisional: { type: 'boolean' },
          },
        },
      },
    },
  };
  const auth = [{ bearer: [] }];
  const err = (d: string) => ({
    description: d,
    content: { 'application/json': { schema: ref('Problem') } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shewhart API',
      version,
      description: 'Event ingest (contract v1) and KPI queries. Bearer tokens are required when configured.',
    },
    components: {
      schemas,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
    security: auth,
    paths: {
      '/v1/events': {
        post: {
          summary: 'Ingest one event, a JSON array of events, or NDJSON',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [ref('Event'), { type: 'array', items: ref('Event') }] },
              },
              'application/x-ndjson': { schema: { type: 'string', description: 'one event per line' } },
            },
          },
          responses: {
            '202': {
              description: 'Every event is durably stored (embedded) or acknowledged by Kafka (scaled)',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['accepted', 'duplicates'],
                    properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' } },
                  },
                },
              },
            },
            '400': {
              description: 'Invalid batch; nothing of it was stored',
              content: { 'application/json': { schema: ref('ValidationErrors') } },
            },
            '401': err('Missing bearer token'),
            '403': err('Unknown token'),
            '413': err('Body larger than the configured limit'),
            '415': err('Unsupported content type'),
            '503': err('Storage or broker unavailable; retry after the Retry-After header'),
          },
        },
      },
      '/v1/kpis': {
        get: {
          summary: 'The KPI catalogue',
          responses: { '200': { description: 'KPI definitions' } },
        },
      },
      '/v1/kpis/{id}': {
        get: {
          summary: 'A KPI series per period and scope',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'period',
              in: 'query',
              schema: { enum: ['day', 'week', 'month', 'quarter'], default: 'week' },
            },
            { name: 'from', in: 'query', schema: { type: 'string', description: 'YYYY-MM-DD or RFC 3339' } },
            { name: 'to', in: 'query', schema: { type: 'string', description: 'YYYY-MM-DD or RFC 3339' } },
            { name: 'team', in: 'query', schema: { type: 'string' } },
            { name: 'project', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'The series',
              content: { 'application/json': { schema: ref('KpiSeries') } },
            },
            '400': err('Invalid query parameter'),
            '404': err('Unknown KPI id'),
          },
        },
      },
      '/v1/kpis/{id}/chart': {
        get: {
          summary:
            'A KPI series on its control chart: stages, baselines, limits, signals, capability, objective',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'period',
              in: 'query',
              schema: { enum: ['day', 'week', 'month', 'quarter'], default: 'week' },
            },
            { name: 'from', in: 'query', schema: { type: 'string' } },
            { name: 'to', in: 'query', schema: { type: 'string' } },
            { name: 'team', in: 'query', schema: { type: 'string' } },
            { name: 'project', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description:
                '{ kpi, scope, period, chart, rules, stages, points, skipped, capability, objective }',
            },
            '400': err('Invalid query parameter'),
            '404': err('Unknown KPI id'),
          },
        },
      },
      '/v1/baselines': {
        get: {
          summary:
            'Stored baseline versions (immutable), with window, points used and excluded, constants and rule set',
          parameters: [
            { name: 'kpi', in: 'query', schema: { type: 'string' } },
            { name: 'team', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': { description: '{ baselines: [...] }' } },
        },
      },
      '/v1/baselines/{kpi}/rebase': {
        post: {
          summary: 'Re-establish a baseline by a recorded decision; a new stage starts at `from`',
          parameters: [{ name: 'kpi', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['reason'],
                  properties: {
                    reason: { type: 'string', minLength: 3 },
                    period: { enum: ['day', 'week', 'month', 'quarter'], default: 'week' },
                    team: { type: 'string' },
                    project: { type: 'string' },
                    from: { type: 'string', format: 'date' },
                    decidedBy: { type: 'string' },
                  },
                },
              },
            },
          },
          responses: {
            '201': { description: '{ decision, stages }' },
            '400': err('Missing reason or invalid parameter'),
            '404': err('Unknown KPI id'),
          },
        },
      },
      '/v1/baselines/{kpi}/causes': {
        get: {
          summary: 'Assignable causes recorded against points of a series',
          parameters: [
            { name: 'kpi', in: 'path', required: true, schema: { type: 'string' } },
            {
              name: 'period',
              in: 'query',
              schema: { enum: ['day', 'week', 'month', 'quarter'], default: 'week' },
            },
            { name: 'team', in: 'query', schema: { type: 'string' } },
            { name: 'project', in: 'query', schema: { type: 'string' } },
          ],
          responses: { '200': { description: '{ causes: [...] }' } },
        },
        post: {
          summary:
            'Record an assignable cause (cause code + NC/CAR) against one point (docs/methods.md §5.9 rule 2)',
          parameters: [{ name: 'kpi', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['periodStart', 'causeCode', 'reference'],
                  properties: {
                    periodStart: { type: 'string', format: 'date' },
                    causeCode: { type: 'string' },
                    reference: { type: 'string' },
                    note: { type: 'string' },
                    period: { enum: ['day', 'week', 'month', 'quarter'], default: 'week' },
                    team: { type: 'string' },
                    project: { type: 'string' },
                    recordedBy: { type: 'string' },
                  },
                },
              },
            },
          },
          responses: {
            '201': { description: '{ cause, excluded, stage }' },
            '400': err('Missing cause code or reference'),
            '404': err('Unknown KPI id'),
          },
        },
      },
      '/v1/signals': {
        get: {
          summary: 'Special-cause signals (rule, point, stage, the baseline they were raised against)',
          parameters: [
            { name: 'kpi', in: 'query', schema: { type: 'string' } },
            { name: 'team', in: 'query', schema: { type: 'string' } },
            { name: 'since', in: 'query', schema: { type: 'string', format: 'date' } },
          ],
          responses: { '200': { description: '{ signals: [...] }' } },
        },
      },
      '/v1/objectives': {
        get: {
          summary: 'Quality objectives and their status per period (met, missed, not evaluable)',
          parameters: [
            { name: 'from', in: 'query', schema: { type: 'string' } },
            { name: 'to', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: '{ configured, objectives: [{ objective, baseline, latest, periods }] }' },
          },
        },
      },
      '/healthz': {
        get: { security: [], summary: 'Liveness', responses: { '200': { description: 'alive' } } },
      },
      '/readyz': {
        get: {
          security: [],
          summary: 'Readiness',
          responses: { '200': { description: 'ready' }, '503': { description: 'starting or draining' } },
        },
      },
      '/metrics': {
        get: {
          security: [],
          summary: 'Prometheus metrics',
          responses: { '200': { description: 'metrics' } },
        },
      },
    },
  };
}

function ref(name: string) {
  return { $ref: `#/components/schemas/${name}` };
}

function schemaName(type: string): string {
  return type
    .split(/[._]/)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
}
