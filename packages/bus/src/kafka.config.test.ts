import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeKafkaOptions,
  isDataError,
  kafkaErrorType,
  redeliveryDelayMs,
  resolveKafkaOptions,
} from './kafka.config.js';
import { headersToStrings } from './kafka.subscription.js';

describe('resolveKafkaOptions', () => {
  it('fills defaults', () => {
    const o = resolveKafkaOptions({ brokers: ['127.0.0.1:9092'] });
    expect(o).toMatchObject({
      compression: 'none',
      publishTimeoutMs: 5_000,
      retryAfterSeconds: 5,
      maxBatchSize: 500,
    });
  });

  it('fails fast naming the bad key', () => {
    expect(() => resolveKafkaOptions({ brokers: [] })).toThrow(/brokers/);
    expect(() => resolveKafkaOptions({ brokers: ['localhost'] })).toThrow(/host:port/);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], publishTimeoutMs: 0 })).toThrow(/publishTimeoutMs/);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], compression: 'zstd' as never })).toThrow(
      /compression/,
    );
    expect(() =>
      resolveKafkaOptions({ brokers: ['h:1'], sessionTimeoutMs: 6_000, heartbeatIntervalMs: 6_000 }),
    ).toThrow(/heartbeatIntervalMs/);
  });

  it('never describes the SASL password', () => {
    const o = resolveKafkaOptions({
      brokers: ['h:1'],
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'hunter2' },
    });
    const text = JSON.stringify(describeKafkaOptions(o));
    expect(text).toContain('svc');
    expect(text).not.toContain('hunter2');
  });
});

describe('redeliveryDelayMs', () => {
  it('stays within [ceiling/2, ceiling] and never exceeds max', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5_000 }), (attempt, initial) => {
        const backoff = { initial, max: initial * 20 };
        const ceiling = Math.min(backoff.max, initial * 2 ** (attempt - 1));
        const d = redeliveryDelayMs(attempt, backoff);
        return d >= Math.floor(ceiling / 2) && d <= Math.ceil(ceiling) && d <= backoff.max;
      }),
    );
  });
});

describe('error classification', () => {
  it('finds the protocol error type along the cause chain', () => {
    const protocol = { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', retriable: false };
    const wrapped = { name: 'KafkaJSNumberOfRetriesExceeded', originalError: protocol };
    expect(kafkaErrorType(wrapped)).toBe('MESSAGE_TOO_LARGE');
    expect(isDataError(wrapped)).toBe(true);
    expect(isDataError({ name: 'KafkaJSConnectionError', message: 'ECONNREFUSED' })).toBe(false);
    expect(isDataError(new Error('x', { cause: { type: 'NOT_ENOUGH_REPLICAS' } }))).toBe(false);
  });
});

describe('headersToStrings', () => {
  it('decodes bytes, keeps the last of repeated keys and drops undefined', () => {
    expect(
      headersToStrings({
        a: Buffer.from('x'),
        b: 'y',
        c: [Buffer.from('1'), Buffer.from('2')],
        d: undefined,
      }),
    ).toEqual({ a: 'x', b: 'y', c: '2' });
    expect(headersToStrings(undefined)).toEqual({});
  });
});
