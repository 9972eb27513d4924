import { describe, expect, it } from 'vitest';
import { globMatch, hoursBetween, timestamp } from './mapping.js';
import { signHub, verifyHubSignature, verifyToken } from './signature.js';

describe('timestamps as the tools write them', () => {
  it.each([
    ['2024-03-05T10:00:00Z', '2024-03-05T10:00:00.000Z'],
    ['2024-03-05T10:12:33.123+0100', '2024-03-05T09:12:33.123Z'],
    ['2024-03-05T10:12:33.123+01:00', '2024-03-05T09:12:33.123Z'],
    ['2024-03-05 10:12:33 UTC', '2024-03-05T10:12:33.000Z'],
    ['2024-03-05 10:12:33 -0500', '2024-03-05T15:12:33.000Z'],
  ])('%s → %s', (input, output) => expect(timestamp(input)).toBe(output));

  it('refuses local times and garbage rather than guessing', () => {
    for (const bad of ['2024-03-05 10:12:33', 'yesterday', '', null, {}, '2024-13-45T99:00:00Z']) {
      expect(timestamp(bad)).toBeUndefined();
    }
    expect(timestamp(1709802000000)).toBe('2024-03-07T09:00:00.000Z');
  });

  it('hours between two times, never negative', () => {
    expect(hoursBetween('2024-03-06T08:00:00Z', '2024-03-07T14:30:00Z')).toBe(30.5);
    expect(hoursBetween('2024-03-07T14:30:00Z', '2024-03-06T08:00:00Z')).toBe(0);
  });
});

describe('environment globs', () => {
  it('match whole names, case-insensitively, with * and ?', () => {
    expect(globMatch('prod-*', 'prod-eu')).toBe(true);
    expect(globMatch('prod-*', 'PROD-us')).toBe(true);
    expect(globMatch('prod-*', 'preprod-eu')).toBe(false);
    expect(globMatch('production', 'production-canary')).toBe(false);
    expect(globMatch('prod-??', 'prod-eu')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });
});

describe('webhook signatures', () => {
  const body = Buffer.from('{"zen":"Design for failure."}');
  it('X-Hub-Signature-256: the HMAC-SHA256 of the raw body under the secret', () => {
    expect(verifyHubSignature('s3cret', body, signHub('s3cret', body))).toBe(true);
    expect(
      verifyHubSignature('s3cret', body, signHub('s3cret', body).toUpperCase().replace('SHA256', 'sha256')),
    ).toBe(true);
    expect(verifyHubSignature('other', body, signHub('s3cret', body))).toBe(false);
    expect(verifyHubSignature('s3cret', Buffer.from(`${body} `), signHub('s3cret', body))).toBe(false);
    for (const bad of [
      undefined,
      '',
      'sha256=',
      'sha1=abc',
      `sha256=${'0'.repeat(64)}`,
      signHub('s3cret', body).slice(0, -1),
    ]) {
      expect(verifyHubSignature('s3cret', body, bad)).toBe(false);
    }
  });

  it('tokens compare whole', () => {
    expect(verifyToken('tok', 'tok')).toBe(true);
    expect(verifyToken('tok', 'tok2')).toBe(false);
    expect(verifyToken('tok', '')).toBe(false);
    expect(verifyToken('tok', undefined)).toBe(false);
  });
});
