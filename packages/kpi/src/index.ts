export * from './catalogue.js';
export * from './query.js';
export { GRAINS, type Grain } from './sql/common.js';
export {
  backgroundCatchUp,
  type CatchUpReport,
  EntityStates,
  type EntityStatesOptions,
} from './states/catch-up.js';
export {
  ENTITY_STATES,
  type EntityState,
  live,
  STATES_GENERATION,
  type StateAggregate,
} from './states/definitions.js';
export type { SharedLock } from './states/gate.js';
export { StatesOutdatedError } from './states/tables.js';
export { byTeamSql, queryByTeam } from './team-fanout.js';
export {
  installKpiViews,
  type KpiView,
  type KpiViewsReport,
  kpiViewName,
  kpiViewSelect,
  kpiViews,
  kpiViewsOutOfStep,
} from './views.js';
