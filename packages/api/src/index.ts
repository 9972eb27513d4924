export { buildCollectorApp, type CollectorAppOptions } from './app.js';
export { TokenSet } from './auth.js';
export { type ObjectiveLookup, objectiveLookup } from './baseline.routes.js';
export { parseJsonBody, parseNdjsonBody } from './body.js';
