export * from './evaluate.js';
export * from './load.js';
export * from './schema.js';
export * from './service.js';
