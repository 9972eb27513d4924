import { classifyClickHouseError } from '@shewhart/warehouse';

/**
 * How the worker reacts to a failed store of a batch. `retry`: the whole batch is rejected and the bus
 * redelivers it after backoff (the partition pauses, nothing is acknowledged). `isolate`: something in
 * the batch is refused by ClickHouse; the batch is split to store the good events and dead-letter the
 * refused ones, so one poison message neither blocks its partition nor takes good events with it.
 */
export type StoreFailure = 'retry' | 'isolate';

export function classifyStoreFailure(error: unknown): StoreFailure {
  // Transient and systemic failures (schema, credentials) are about the installation, not the data:
  // every message would fail the same way, so dead-lettering would empty the topic into the dead-letter
  // queue. They block until an operator fixes it, with the consumer lag growing.
  if (classifyClickHouseError(error) !== 'data') return 'retry';
  // The writer refuses writes once closed (shutdown): never a property of the data.
  if (error instanceof Error && /event store is closed/.test(error.message)) return 'retry';
  return 'isolate';
}
