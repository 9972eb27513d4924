export * from './catalogue.js';
export * from './query.js';
export {
  backgroundCatchUp,
  type CatchUpOptions,
  type CatchUpReport,
  EntityStates,
  StatesOutdatedError,
} from './rollups/catch-up.js';
export {
  ENTITY_STATES,
  type EntityState,
  live,
  STATES_GENERATION,
  type StateAggregate,
} from './rollups/states.js';
export { GRAINS, type Grain } from './sql/common.js';
