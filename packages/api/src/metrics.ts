import { Counter, Histogram, type Registry } from 'prom-client';

export function collectorMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'shewhart_ingest_requests_total',
      help: 'Ingest requests by HTTP status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    events: new Counter({
      name: 'shewhart_ingest_events_total',
      help: 'Events by ingest outcome (accepted, duplicate, rejected)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'shewhart_ingest_batch_size',
      help: 'Events per ingest request',
      buckets: [1, 10, 100, 1000, 5000, 10000, 50000],
      registers: [registry],
    }),
    ackLatency: new Histogram({
      name: 'shewhart_ingest_ack_seconds',
      help: 'Time from a valid request to its durable acknowledgement',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
