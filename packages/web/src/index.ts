export { renderAlertsPage } from './alerts-page.js';
export { dataVersion, PageCache } from './cache.js';
export {
  type ChartPage,
  type ChartPageQuery,
  cleanQuery,
  loadChartPage,
  renderChartPage,
} from './chart-page.js';
export type { AlertsPort, WebAlert, WebContext } from './context.js';
export { errorPage, loginForm, PAGE_CSP, page } from './layout.js';
export { loadOverview, type Overview, renderOverview } from './overview.js';
export { renderPackPage, renderReportsPage } from './reports-page.js';
