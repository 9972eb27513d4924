export * from './kafka.adapter.js';
export { MemoryBus } from './memory.adapter.js';
export * from './port.js';
export {
  LockUnavailableError,
  LockWaitAbortedError,
  RedisLock,
  type RedisLockOptions,
  sharedLock,
} from './redis-lock.js';
export * from './topics.js';
export { untilAvailable } from './until-available.js';
