export * from './evaluate.js';
export * from './load.js';
export * from './report.js';
export * from './schema.js';
export * from './series.js';
export * from './service.js';
export * from './table.js';
