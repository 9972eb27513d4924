export * from './chart-document.js';
export * from './chart-svg.js';
export * from './evaluate.js';
export * from './periods.js';
export * from './refresh.js';
export * from './refresher.js';
export * from './series-chart.js';
export * from './store.js';
