import { Counter, Histogram, type Registry } from 'prom-client';

export function ingestMetrics(registry: Registry) {
  return {
    outcomes: new Counter({
      name: 'shewhart_worker_events_total',
      help: 'Consumed events by outcome (stored, duplicate, rejected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
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
