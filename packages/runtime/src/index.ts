export { type EmbeddedOptions, type EmbeddedRuntime, startEmbedded } from './embedded.runtime.js';
export { findRunningServer, lockDataDir, type ServerRecord } from './instance.js';
