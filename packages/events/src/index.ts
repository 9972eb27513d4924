export * from './enums.js';
export * from './envelope.js';
export * from './keys.js';
export * from './openapi.js';
export * from './types.js';
export * from './validate.js';
