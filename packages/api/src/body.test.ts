import { describe, expect, it } from 'vitest';
import { Authenticator } from './auth.js';
import { BodyLimitError, decodeBody, parseJsonBody, parseNdjsonBody } from './body.js';

describe('ingest body parsing', () => {
  it('treats a single JSON object as index 0 and an array as a batch', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ ok: true, items: [{ a: 1 }] });
    expect(parseJsonBody('[{"a":1},{"b":2}]')).toEqual({ ok: true, items: [{ a: 1 }, { b: 2 }] });
    expect(parseJsonBody('[]')).toEqual({ ok: true, items: [] });
  });

  it('refuses a body that is not JSON', () => {
    const r = parseJsonBody('{"a":');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatchObject({ index: 0, path: [] });
  });

  it('counts NDJSON events, not lines, and reports each broken line', () => {
    expect(parseNdjsonBody('{"a":1}\n\n  \n{"b":2}\r\n')).toEqual({ ok: true, items: [{ a: 1 }, { b: 2 }] });
    const r = parseNdjsonBody('{"a":1}\nnope\n{"c":3}\n{"d":');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.index)).toEqual([1, 3]);
  });
});

describe('body limits', () => {
  const limits = { maxDepth: 4, maxItems: 3, maxValues: 20, maxMembers: 5 };
  it('refuses nesting beyond the limit before parsing, whatever the brackets are inside strings', () => {
    expect(() => parseJsonBody('[[[[[1]]]]]', limits)).toThrow(BodyLimitError);
    expect(parseJsonBody('[[["[[[[[[["]]]', limits)).toEqual({ ok: true, items: [[['[[[[[[[']]] });
    // A hundred thousand levels: refused without a stack overflow.
    expect(() => parseJsonBody('['.repeat(100_000), limits)).toThrow(BodyLimitError);
  });
  it('refuses more events than the limit, in JSON arrays and NDJSON', () => {
    expect(parseJsonBody('[{},{},{}]', limits).ok).toBe(true);
    expect(() => parseJsonBody('[{},{},{},{}]', limits)).toThrow(/at most 3 events/);
    expect(() => parseJsonBody(`[${'{},'.repeat(5_000_000)}{}]`, limits)).toThrow(BodyLimitError);
    expect(() => parseNdjsonBody('{}\n{}\n{}\n{}', limits)).toThrow(/at most 3 events/);
  });
  it('refuses a body of more values than the limit, wherever they are', () => {
    expect(parseJsonBody(`{"a":[${'1,'.repeat(15)}1]}`, limits).ok).toBe(true);
    expect(() => parseJsonBody(`{"a":[${'1,'.repeat(25)}1]}`, limits)).toThrow(/more than 20 array elements/);
    expect(() => parseJsonBody(`[{"a":[${'{},'.repeat(5_000_000)}{}]}]`, limits)).toThrow(BodyLimitError);
    expect(() =>
      parseNdjsonBody(Array.from({ length: 3 }, () => '[1,2,3,4,5,6,7,8]').join('\n'), limits),
    ).toThrow(/more than 20 array elements/);
    // commas inside strings are not values
    expect(parseJsonBody(`{"a":"${','.repeat(100)}"}`, limits).ok).toBe(true);
  });
  it('refuses an object of more members than the limit, at any depth', () => {
    expect(parseJsonBody('{"a":1,"b":2,"c":3,"d":4,"e":5}', limits).ok).toBe(true);
    expect(() => parseJsonBody('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}', limits)).toThrow(
      /more than 5 members/,
    );
    expect(() => parseJsonBody('[{"x":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}}]', limits)).toThrow(
      /more than 5 members/,
    );
    // an array of the same length is not an object
    expect(parseJsonBody('{"a":[1,2,3,4,5,6,7]}', limits).ok).toBe(true);
  });
  it('refuses a body that is not UTF-8', () => {
    expect(decodeBody(Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false });
    expect(decodeBody(Buffer.from('{"a":"é"}'))).toEqual({ ok: true, text: '{"a":"é"}' });
  });
});

describe('bearer tokens', () => {
  const none = { ingest: [], read: [], decide: [] };
  it('is open when no token is configured, even with an internal token', () => {
    expect(new Authenticator(none).check(undefined, 'read')).toBe('ok');
    expect(new Authenticator(none, 'internal').check(undefined, 'ingest')).toBe('ok');
  });
  it('distinguishes missing, unknown and forbidden tokens, per permission', () => {
    const a = new Authenticator({ ingest: ['in'], read: ['rd'], decide: ['dc'] }, 'internal');
    expect(a.check(undefined, 'read')).toBe('missing');
    expect(a.check('Basic abc', 'read')).toBe('missing');
    expect(a.check('Bearer wrong', 'read')).toBe('unknown');
    expect(a.check('Bearer rd', 'read')).toBe('ok');
    expect(a.check('bearer rd', 'ingest')).toBe('forbidden');
    expect(a.check('Bearer in', 'ingest')).toBe('ok');
    expect(a.check('Bearer in', 'read')).toBe('forbidden');
    expect(a.check('Bearer dc', 'read')).toBe('ok');
    expect(a.check('Bearer dc', 'decide')).toBe('ok');
    expect(a.check('Bearer rd', 'decide')).toBe('forbidden');
    expect(a.check('Bearer internal', 'decide')).toBe('ok');
    expect(a.check(undefined, 'public')).toBe('ok');
    // No route matched: any valid token, and only a valid one, learns that.
    expect(a.check(undefined, undefined)).toBe('missing');
    expect(a.check('Bearer in', undefined)).toBe('ok');
  });
  it('takes a token listed for several permissions with all of them', () => {
    const a = new Authenticator({ ingest: ['both'], read: ['both'], decide: [] });
    expect(a.check('Bearer both', 'ingest')).toBe('ok');
    expect(a.check('Bearer both', 'read')).toBe('ok');
  });
});
