/**
 * Classifies ClickHouse failures: transient ones are retried with backoff, the rest fail fast.
 * Codes from ClickHouse's ErrorCodes.cpp.
 */
const TRANSIENT_CODES = new Set([
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY (replica temporarily read-only)
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '236', // ABORTED
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);
const TRANSIENT_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

/**
 * ClickHouse errors about the installation, not the data: every statement would fail the same way until
 * an operator fixes the schema or the credentials.
 */
const SYSTEMIC_CODES = new Set([
  '16', // NO_SUCH_COLUMN_IN_TABLE
  '47', // UNKNOWN_IDENTIFIER
  '60', // UNKNOWN_TABLE
  '81', // UNKNOWN_DATABASE
  '192', // UNKNOWN_USER
  '194', // REQUIRED_PASSWORD
  '497', // ACCESS_DENIED
  '516', // AUTHENTICATION_FAILED
]);

/**
 * The ClickHouse error code of a failure: the server client's `code`, or — the embedded engine reports
 * errors as text — the `Code: 241. DB::Exception: …` prefix of its message.
 */
export function clickHouseCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  if (typeof code === 'number') return String(code);
  return /\bCode: (\d+)\./.exec(String((error as { message?: unknown }).message ?? ''))?.[1];
}

/**
 * The one classifier of ClickHouse failures, for the server and the embedded engine alike:
 * `transient` is retried with backoff, `systemic` (schema, credentials) waits for an operator, `data`
 * is a refusal of this statement's content (split, dead-letter, or a 4xx upstream).
 */
export function classifyClickHouseError(error: unknown): 'transient' | 'systemic' | 'data' {
  if (error instanceof StorageUnavailableError || isTransient(error)) return 'transient';
  const code = clickHouseCode(error);
  return code !== undefined && SYSTEMIC_CODES.has(code) ? 'systemic' : 'data';
}

export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = clickHouseCode(error) ?? '';
  const nodeCode = String((error as { code?: unknown }).code ?? '');
  if (TRANSIENT_CODES.has(code) || TRANSIENT_NODE.has(nodeCode)) return true;
  const message = String((error as { message?: unknown }).message ?? '');
  return /timeout|socket hang up|ECONNREFUSED|ECONNRESET/i.test(message);
}

export class StorageUnavailableError extends Error {
  override readonly name: string = 'StorageUnavailableError';
  /** Error kind (the HTTP error map answers 503 with Retry-After). */
  readonly kind = 'unavailable' as const;
}

export function backoffMs(attempt: number, baseMs = 100, capMs = 5_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return exp / 2 + Math.random() * (exp / 2); // "equal jitter"
}
