export { alertQueueFor, evaluationLock, requeueOnly, retryLock } from './alerts.runtime.js';
export { type ScaledCollector, startScaledCollector } from './collector.runtime.js';
export { type EmbeddedOptions, type EmbeddedRuntime, startEmbedded } from './embedded.runtime.js';
export { findRunningServer, type ServerRecord } from './instance.js';
export {
  onStopRequest,
  type ServiceMainOptions,
  serviceMain,
  shutdownOnStopRequest,
} from './service-main.js';
export { orderedShutdown, type ShutdownStep } from './shutdown.js';
export { type OpenStorageOptions, openStorage, type Storage } from './storage.js';
export { scaledTopics, startWorker, type WorkerRuntime } from './worker.runtime.js';
