export { DEAD_LETTER_HEADERS, deadLetterPublisher } from './dead-letter.js';
export { createEventsHandler, type DeadLetterSink, type EventsConsumerOptions } from './events.consumer.js';
export { type IngestMetrics, ingestMetrics, WORKER_OUTCOMES } from './metrics.js';
