import { isTransient } from '@shewhart/warehouse';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/**
 * The one error map of the HTTP API. Domain errors carry a `kind` (UnknownKpiError: `not_found`,
 * InvalidKpiQueryError: `invalid`, StorageUnavailableError: `unavailable`, …); this table turns a kind
 * into a status, and `sendError` into the one response body: `{ error: kind, message, issues? }`.
 * Anything without a kind is a bug: 500, logged, with no detail to the client.
 */
export const ERROR_STATUS = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  headers_too_large: 431,
  unavailable: 503,
  timeout: 503,
  internal: 500,
} as const;

export type ErrorKind = keyof typeof ERROR_STATUS;

export interface Issue {
  path: string;
  message: string;
}

/** An error raised by the HTTP layer itself (auth, limits, timeouts). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly issues?: Issue[],
    /** Seconds for `Retry-After` (503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

interface Kinded {
  kind: ErrorKind;
  message: string;
  issues?: Issue[];
  retryAfterSeconds?: number;
}

function kindOf(error: unknown): Kinded | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const kind = (error as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !(kind in ERROR_STATUS)) return undefined;
  return error as Kinded;
}

/** Fastify's own errors (body limit, content type, malformed URL, validation) by their code. */
function fromFastify(error: FastifyError): Kinded | undefined {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({
      path: [error.validationContext, ...String(v.instancePath).split('/').filter(Boolean)]
        .filter(Boolean)
        .join('.'),
      message: v.message ?? 'is invalid',
    }));
    return { kind: 'invalid', message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { kind: 'payload_too_large', message: error.message };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { kind: 'unsupported_media_type', message: error.message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
    case 'FST_ERR_VALIDATION':
      return { kind: 'invalid', message: error.message };
    default:
      if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
        return { kind: error.statusCode === 413 ? 'payload_too_large' : 'invalid', message: error.message };
      }
      return undefined;
  }
}

/** Sends the response for any error; the only place an error becomes a status and a body. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known =
    kindOf(error) ??
    fromFastify(error as FastifyError) ??
    // A ClickHouse timeout, memory limit or lost connection: the client may retry.
    (isTransient(error)
      ? { kind: 'unavailable' as const, message: 'storage is busy; retry later' }
      : undefined);
  if (!known) {
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error' });
  }
  const status = ERROR_STATUS[known.kind];
  if (status === 503) {
    request.log.warn({ err: (error as Error).message }, 'unavailable');
    reply.header('retry-after', String(known.retryAfterSeconds ?? 5));
  }
  if (known.kind === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="shewhart"');
  return reply.code(status).send({
    error: known.kind,
    message: known.message,
    ...(known.issues && known.issues.length > 0 ? { issues: known.issues } : {}),
  });
}
