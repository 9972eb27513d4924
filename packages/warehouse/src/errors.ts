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

export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  if (TRANSIENT_CODES.has(code) || TRANSIENT_NODE.has(code)) return true;
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
