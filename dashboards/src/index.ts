export { GENERATED_DIR } from './build.js';
export { buildDashboards, migrationCreates } from './catalogue.js';
export { ClickHouseQuery, DATASOURCE } from './datasource.js';
export { type ExpandContext, expandQuery, type VariableValue } from './expand.js';
export { type DashboardJson, type PanelJson, panelsOf, validateDashboard } from './validate.js';
