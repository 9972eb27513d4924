import { isTransient, StorageUnavailableError } from '@shewhart/warehouse';

/**
 * How the worker reacts to a failed store of a batch. `retry`: the whole batch is rejected and the bus
 * redelivers it after backoff (the partition pauses, nothing is acknowledged). `isolate`: something in
 * the batch is refused by ClickHouse; the batch is split to store the good events and dead-letter the
 * refused ones, so one poison message neither blocks its partition nor takes good events with it.
 */
export type StoreFailure = 'retry' | 'isolate';

/**
 * ClickHouse errors about the installation, not the data: every message would fail the same way, so
 * dead-lettering would empty the topic into the dead-letter queue. They block until an operator fixes
 * the schema or the credentials (style: fail fast on schema errors), with the consumer lag growing.
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

export function clickHouseCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') return String(code);
  // The embedded engine reports errors as text: "Code: 60. DB::Exception: ..."
  return /\bCode: (\d+)\./.exec(String((error as { message?: unknown }).message ?? ''))?.[1];
}

export function classifyStoreFailure(error: unknown): StoreFailure {
  if (error instanceof StorageUnavailableError || isTransient(error)) return 'retry';
  const code = clickHouseCode(error);
  if (code !== undefined && SYSTEMIC_CODES.has(code)) return 'retry';
  // The writer refuses writes once closed (shutdown): never a property of the data.
  if (error instanceof Error && /event store is closed/.test(error.message)) return 'retry';
  return 'isolate';
}
