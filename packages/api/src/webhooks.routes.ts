import type { Bus } from '@shewhart/bus';
import {
  githubClient,
  githubLookups,
  gitlabClient,
  gitlabLookups,
  type Mapped,
  mapCdevents,
  mapGithub,
  mapGitlab,
  mapJira,
  RestError,
  type SourceSecrets,
  type SourcesConfig,
  verifyHubSignature,
  verifyToken,
} from '@shewhart/connectors';
import { validateBatch } from '@shewhart/events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { type BodyLimits, checkShape, decodeBody } from './body.js';
import { ApiError } from './errors.js';
import type { collectorMetrics } from './metrics.js';
import { publishEvents } from './publish.js';

export interface WebhookOptions {
  bus: Bus;
  registry: Registry;
  metrics: ReturnType<typeof collectorMetrics>;
  limits: BodyLimits;
  /** The `sources` section of the configuration file and the secrets it names (read from the environment). */
  sources: SourcesConfig;
  secrets: SourceSecrets;
}

type Tool = 'github' | 'gitlab' | 'jira' | 'cdevents';

/**
 * The connectors' HTTP side: `POST /v1/webhooks/{github,gitlab,jira}` and `POST /v1/cdevents`. Each
 * webhook authenticates by its tool's signature or token over the raw body (access `signed`: 401 and
 * nothing stored when it does not verify, whatever bearer tokens are configured); CDEvents carry no
 * signature and take an ingest token like `/v1/events`. Translated events go through the same publish
 * step as `/v1/events`: 202 only once durably accepted (503 otherwise, so the tool retries; the ids
 * are deterministic, so a retry stores nothing twice). A payload the mapping does not understand is
 * 202 with `ignored` and counted, never an error the tool would retry forever.
 */
export function registerWebhookRoutes(app: FastifyInstance, options: WebhookOptions): void {
  const deliveries = new Counter({
    name: 'shewhart_webhook_deliveries_total',
    help: 'Webhook and CDEvents deliveries by tool and outcome (accepted, ignored, unauthorized, invalid, unavailable)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [options.registry],
  });
  const unmapped = new Counter({
    name: 'shewhart_source_unmapped_events_total',
    help: 'Events of a repository, project or producer the sources section does not map, stored under the default team (data quality)',
    labelNames: ['tool', 'source'] as const,
    registers: [options.registry],
  });
  const { sources, secrets } = options;
  const github = sources.github;
  const gitlab = sources.gitlab;
  const githubApi =
    github && secrets.githubApi
      ? githubClient(github, secrets.githubApi.reveal(), { maxRetries: 2, maxWaitSeconds: 5 })
      : undefined;
  const gitlabApi =
    gitlab && secrets.gitlabApi
      ? gitlabClient(gitlab, secrets.gitlabApi.reveal(), { maxRetries: 2, maxWaitSeconds: 5 })
      : undefined;

  const refuse = (tool: Tool, message: string): never => {
    deliveries.inc({ tool, outcome: 'unauthorized' });
    throw new ApiError('unauthorized', message);
  };

  /** Mapped → stored: the answer the tool sees. */
  async function deliver(tool: Tool, request: FastifyRequest, reply: FastifyReply, mapped: Mapped) {
    if (mapped.unmapped)
      unmapped.inc({ tool, source: mapped.unmapped }, 'events' in mapped ? mapped.events.length : 0);
    if ('ignored' in mapped) {
      deliveries.inc({ tool, outcome: 'ignored' });
      return reply.code(202).send({ accepted: 0, duplicates: 0, ignored: mapped.ignored });
    }
    const validation = validateBatch(mapped.events);
    if (!validation.ok) {
      // A tool's value the contract cannot store (a control character in a label, say): retrying the
      // delivery would not change it, so it is acknowledged, counted and logged rather than refused.
      deliveries.inc({ tool, outcome: 'invalid' });
      request.log.warn(
        { tool, errors: validation.errors.slice(0, 5) },
        'mapped events are not valid contract events',
      );
      const first = validation.errors[0];
      return reply.code(202).send({
        accepted: 0,
        duplicates: 0,
        ignored: `the mapped events are not valid: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`,
      });
    }
    try {
      const result = await publishEvents(options.bus, validation.events, options.metrics);
      deliveries.inc({ tool, outcome: 'accepted' });
      return reply
        .code(202)
        .send({ ...result, events: validation.events.map((e) => ({ id: e.id, type: e.type })) });
    } catch (error) {
      deliveries.inc({ tool, outcome: 'unavailable' });
      throw error;
    }
  }

  /** The body as JSON once its signature verified; undefined when it is not a JSON document. */
  function json(raw: Buffer, request: FastifyRequest): unknown {
    const decoded = decodeBody(raw);
    if (!decoded.ok) return undefined;
    let text = decoded.text;
    // GitHub's other content type: `payload=<url-encoded JSON>` (signed as sent).
    if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      text = new URLSearchParams(text).get('payload') ?? '';
    }
    try {
      checkShape(text, options.limits);
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  const header = (request: FastifyRequest, name: string) => {
    const v = request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };

  async function lookup<T>(tool: Tool, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // The tool's API is down or refuses: a 503 lets the delivery be retried rather than stored without
      // its planned end or size.
      deliveries.inc({ tool, outcome: 'unavailable' });
      const status = error instanceof RestError ? ` (${error.status})` : '';
      throw new ApiError(
        'unavailable',
        `the ${tool} API could not be read${status}; retry the delivery later`,
        undefined,
        30,
      );
    }
  }

  void app.register(async (scope) => {
    // Signatures cover the exact bytes received: every body reaches these routes as a Buffer.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const raw = (request: FastifyRequest) => (Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    const signed = { config: { access: 'signed' as const } };

    scope.post(
      '/v1/webhooks/github',
      { ...signed, schema: { summary: 'GitHub webhook (X-Hub-Signature-256)', tags: ['webhooks'] } },
      async (request, reply) => {
        if (!github || !secrets.github)
          refuse(
            'github',
            'GitHub webhooks are not configured (sources.github.secretEnv names no set variable)',
          );
        const body = raw(request);
        if (
          !verifyHubSignature(
            (secrets.github as NonNullable<typeof secrets.github>).reveal(),
            body,
            header(request, 'x-hub-signature-256'),
          )
        ) {
          refuse('github', 'the X-Hub-Signature-256 signature does not verify');
        }
        const event = header(request, 'x-github-event') ?? '';
        if (event === 'ping') {
          deliveries.inc({ tool: 'github', outcome: 'ignored' });
          return reply.code(200).send({ pong: true });
        }
        const payload = json(body, request);
        const config = github as NonNullable<typeof github>;
        const lookups =
          githubApi && payload !== undefined
            ? await lookup('github', () => githubLookups(githubApi, event, payload))
            : undefined;
        return deliver(
          'github',
          request,
          reply,
          mapGithub({ event, payload }, { config, defaultTeam: sources.defaultTeam, lookups }),
        );
      },
    );

    scope.post(
      '/v1/webhooks/gitlab',
      { ...signed, schema: { summary: 'GitLab webhook (X-Gitlab-Token)', tags: ['webhooks'] } },
      async (request, reply) => {
        if (!gitlab || !secrets.gitlab)
          refuse(
            'gitlab',
            'GitLab webhooks are not configured (sources.gitlab.tokenEnv names no set variable)',
          );
        if (
          !verifyToken(
            (secrets.gitlab as NonNullable<typeof secrets.gitlab>).reveal(),
            header(request, 'x-gitlab-token'),
          )
        )
          refuse('gitlab', 'the X-Gitlab-Token does not match');
        const payload = json(raw(request), request);
        const config = gitlab as NonNullable<typeof gitlab>;
        const lookups =
          gitlabApi && payload !== undefined
            ? await lookup('gitlab', () => gitlabLookups(gitlabApi, payload))
            : undefined;
        return deliver(
          'gitlab',
          request,
          reply,
          mapGitlab(
            { event: header(request, 'x-gitlab-event'), payload },
            { config, defaultTeam: sources.defaultTeam, lookups },
          ),
        );
      },
    );

    scope.post(
      '/v1/webhooks/jira',
      {
        ...signed,
        schema: {
          summary: 'Jira webhook (X-Hub-Signature, a secret set on the webhook)',
          tags: ['webhooks'],
        },
      },
      async (request, reply) => {
        const jira = sources.jira;
        if (!jira || !secrets.jira)
          refuse('jira', 'Jira webhooks are not configured (sources.jira.secretEnv names no set variable)');
        const body = raw(request);
        if (
          !verifyHubSignature(
            (secrets.jira as NonNullable<typeof secrets.jira>).reveal(),
            body,
            header(request, 'x-hub-signature'),
          )
        ) {
          refuse('jira', 'the X-Hub-Signature signature does not verify');
        }
        const config = jira as NonNullable<typeof jira>;
        return deliver(
          'jira',
          request,
          reply,
          mapJira(json(body, request), { config, defaultTeam: sources.defaultTeam }),
        );
      },
    );

    // CDEvents carry no signature of their own: an ingest token, as for /v1/events.
    scope.post(
      '/v1/cdevents',
      {
        config: { access: 'ingest' as const },
        schema: { summary: 'CDEvents (CloudEvents binary or structured mode)', tags: ['webhooks'] },
      },
      async (request, reply) => {
        const payload = json(raw(request), request);
        return deliver(
          'cdevents',
          request,
          reply,
          mapCdevents(
            { headers: request.headers, payload },
            { config: sources.cdevents, defaultTeam: sources.defaultTeam },
          ),
        );
      },
    );
  });
}
