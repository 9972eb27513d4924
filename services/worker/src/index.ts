export { createEventsHandler, type DeadLetterSink, type EventsConsumerOptions } from './events.consumer.js';
export { type WorkerMetrics, workerMetrics } from './metrics.js';
