import { clickHouseCode, isTransient, StorageUnavailableError } from '@shewhart/warehouse';
import { describe, expect, it } from 'vitest';
import { classifyStoreFailure } from './store-errors.js';

describe('classifyStoreFailure', () => {
  it('retries the batch for outages: exhausted writer retries and transient errors', () => {
    expect(classifyStoreFailure(new StorageUnavailableError('down'))).toBe('retry');
    expect(classifyStoreFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('retry');
    expect(classifyStoreFailure(Object.assign(new Error('too many parts'), { code: '252' }))).toBe('retry');
  });

  it('retries the batch for installation errors, which every message would hit', () => {
    expect(classifyStoreFailure(Object.assign(new Error('no table'), { code: '60' }))).toBe('retry');
    expect(classifyStoreFailure(new Error('Code: 81. DB::Exception: Database shewhart does not exist'))).toBe(
      'retry',
    );
    expect(classifyStoreFailure(new Error('event store is closed'))).toBe('retry');
  });

  it('isolates the refused messages for errors about the data', () => {
    const parse = new Error('Code: 26. DB::Exception: Cannot parse escape sequence');
    expect(clickHouseCode(parse)).toBe('26');
    expect(classifyStoreFailure(parse)).toBe('isolate');
    expect(classifyStoreFailure(new Error('not a timestamp: yesterday'))).toBe('isolate');
  });
});

describe("the ClickHouse classifier reads the embedded engine's error text too", () => {
  it('finds the code in chDB messages and treats a memory limit as transient', () => {
    const oom = new Error('Code: 241. DB::Exception: Memory limit (total) exceeded: would use 1.00 GiB');
    expect(clickHouseCode(oom)).toBe('241');
    expect(isTransient(oom)).toBe(true);
    expect(isTransient(new Error('Code: 159. DB::Exception: Timeout exceeded: elapsed 31 seconds'))).toBe(
      true,
    );
    expect(isTransient(new Error('Code: 62. DB::Exception: Syntax error'))).toBe(false);
  });
});
