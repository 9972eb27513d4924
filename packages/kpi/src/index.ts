export * from './catalogue.js';
export * from './query.js';
export { GRAINS, type Grain } from './sql/common.js';
