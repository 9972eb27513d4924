import { Counter, Histogram, type Registry } from 'prom-client';

/** The statuses the ingest route answers with, and the outcomes of a posted event. */
export const INGEST_STATUSES = ['202', '400', '500', '503'] as const;
export const INGEST_OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;

export function collectorMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'shewhart_ingest_requests_total',
    help: 'Ingest requests by HTTP status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'shewhart_ingest_events_total',
    help: 'Events by ingest outcome (accepted, duplicate, rejected)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  // Every series exists from the start, at 0: Prometheus's increase()/rate() count no rise into a series'
  // first sample, so the first 503 or refused event would otherwise be missed.
  for (const status of INGEST_STATUSES) requests.inc({ status }, 0);
  for (const outcome of INGEST_OUTCOMES) events.inc({ outcome }, 0);
  return {
    requests,
    events,
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
