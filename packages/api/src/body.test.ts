import { describe, expect, it } from 'vitest';
import { TokenSet } from './auth.js';
import { parseJsonBody, parseNdjsonBody } from './body.js';

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

describe('bearer tokens', () => {
  it('is open when no token is configured', () => {
    expect(new TokenSet([]).check(undefined)).toBe('ok');
  });
  it('distinguishes missing from unknown tokens', () => {
    const t = new TokenSet(['s3cret', 'other']);
    expect(t.check(undefined)).toBe('missing');
    expect(t.check('Basic abc')).toBe('missing');
    expect(t.check('Bearer wrong')).toBe('unknown');
    expect(t.check('Bearer s3cret')).toBe('ok');
    expect(t.check('bearer other')).toBe('ok');
    expect(t.check('Bearer s3cre')).toBe('unknown');
  });
});
