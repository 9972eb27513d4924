export { DEAD_LETTER_HEADERS, deadLetterPublisher } from './dead-letter.js';
export { createEventsHandler, type DeadLetterSink, type EventsConsumerOptions } from './events.consumer.js';
export { type WorkerMetrics, workerMetrics } from './metrics.js';
export { scaledTopics, startWorker, type WorkerRuntime } from './worker.runtime.js';
