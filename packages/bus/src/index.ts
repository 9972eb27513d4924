export * from './kafka.adapter.js';
export { MemoryBus } from './memory.adapter.js';
export * from './port.js';
export * from './topics.js';
