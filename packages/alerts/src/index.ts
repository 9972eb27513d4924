/** @shewhart/alerts: signal, objective and data-quality alerts (docs/methods.md §8), delivered once per transition. */
export { Alerting, type AlertingOptions, type EvaluationLock } from './alerting.js';
export { BullDeliveryQueue, catalogueQueue, deliveriesQueue, obliterateQueues } from './bullmq.queue.js';
export { backoffDelay, JOBS, type JobData, type JobName } from './catalogue.js';
export {
  ALERTS_SECTION,
  type AlertsConfig,
  AlertsSection,
  type ResolvedRoute,
  type Route,
  type Rule,
  resolveAlerts,
} from './config.js';
export { attemptDelivery } from './deliver.processor.js';
export { DEMO_KEY_ENV, demoKey, demoKeyPath, readDemoKey } from './demo-key.js';
export { missEpisodes, predictAttainment, signalEpisodes } from './episodes.js';
export { type EvaluationResult, evaluateAlerts } from './evaluate.js';
export { type DeliveryQueue, InlineDeliveryQueue, type RetryLock } from './inline.queue.js';
export * from './model.js';
export { signature, slackPayload, type WebhookPayload, webhookPayload } from './payload.js';
export { quietUntil } from './quiet-hours.js';
export {
  type ReceivedMessage,
  type Receiver,
  type ReceiverOptions,
  signatureMatches,
  startReceiver,
} from './receiver.js';
export {
  DeliveryNotFailedError,
  DeliveryQueueUnavailableError,
  type RetryResult,
  retryDeliveries,
  UnknownDeliveryError,
} from './retry.js';
export {
  type AlertFilter,
  getDelivery,
  type ListedAlert,
  listAlerts,
  listDeliveries,
  listDeliveryRetries,
  recordAck,
  recordRejections,
  writeDeliveries,
  writeDeliveryRetries,
} from './store.js';
