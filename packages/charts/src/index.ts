export type { ChartModel, ChartPoint, ChartStage, Limit, RenderOptions } from './model.js';
export { renderChartSvg } from './render.js';
