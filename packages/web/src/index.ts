export { renderAlertsPage } from './alerts-page.js';
export { type DataVersions, dataVersions, PageCache } from './cache.js';
export {
  type ChartPage,
  type ChartPageQuery,
  cleanQuery,
  loadChartPage,
  narrowChartPage,
  renderChartPage,
} from './chart-page.js';
export type { AlertsPort, WebAlert, WebContext } from './context.js';
export { errorPage, loginForm, PAGE_CSP, page } from './layout.js';
export { loadOverview, loadTiles, type Overview, renderOverview, type Tile, type Tiles } from './overview.js';
export { renderPackPage, renderReportsPage } from './reports-page.js';
export { queryKpiBatch } from './series-batch.js';
export { chartKey, WebView, type WebViewOptions } from './view.js';
