export { buildCollectorApp, type CollectorAppOptions } from './app.js';
export { TokenSet } from './auth.js';
export { parseJsonBody, parseNdjsonBody } from './body.js';
