export * from './catalogue.js';
export * from './query.js';
export {
  backgroundCatchUp,
  type CatchUpOptions,
  type CatchUpReport,
  catchUpRollups,
  Rollups,
  rollupsOf,
} from './rollups/catch-up.js';
export { ENTITY_STATES, type EntityState, live, type StateAggregate } from './rollups/states.js';
export { GRAINS, type Grain } from './sql/common.js';
