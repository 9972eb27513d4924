import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Every outcome a consumed message can have (`rejected`: dead-lettered; `retried`: a batch that failed to
 * store and is redelivered).
 */
export const WORKER_OUTCOMES = ['stored', 'duplicate', 'rejected', 'retried'] as const;

export function ingestMetrics(registry: Registry) {
  const outcomes = new Counter({
    name: 'shewhart_worker_events_total',
    help: 'Consumed events by outcome (stored, duplicate, rejected, retried)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every outcome's series exists from the start, at 0: Prometheus's increase()/rate() count no rise into
  // a series' first sample, so a series born at 1 (the first dead letter) would never be counted.
  for (const outcome of WORKER_OUTCOMES) outcomes.inc({ outcome }, 0);
  return {
    outcomes,
    batchSize: new Histogram({
      name: 'shewhart_worker_batch_size',
      help: 'Messages per consumed batch',
      buckets: [1, 10, 100, 500, 1000, 5000, 10000],
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'shewhart_writer_flush_seconds',
      help: 'ClickHouse insert latency per flush (duplicate check + insert)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    flushRows: new Histogram({
      name: 'shewhart_writer_flush_rows',
      help: 'Rows per ClickHouse flush',
      buckets: [1, 10, 100, 1000, 5000, 20000, 50000],
      registers: [registry],
    }),
  };
}

export type IngestMetrics = ReturnType<typeof ingestMetrics>;
