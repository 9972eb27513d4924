export * from './client.js';
export { alive, lockDataDir } from './data-dir.lock.js';
export { findMissing, holdRollupWatermark, type RepairReport, repairDerived } from './derive.js';
export * from './errors.js';
export * from './event-row.js';
export * from './event-store.js';
export * from './migrate.js';
