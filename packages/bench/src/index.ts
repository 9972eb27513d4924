export { mib, PeakRss, percentile } from './stats.js';
