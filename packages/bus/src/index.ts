export * from './port.js';
export * from './topics.js';
export { MemoryBus } from './memory.adapter.js';
export * from './kafka.adapter.js';
