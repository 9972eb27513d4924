import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_NAMES, eventKey, validateBatch, validateEvent } from './index.js';

const base = { id: 'e1', source: 'jira/QA', time: '2026-01-05T10:00:00+01:00' };

/** One minimal valid payload per type: the catalogue and this table must stay in step. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  'defect.reported': { defectId: 'D1', severity: 'major', detectionActivity: 'code_review' },
  'defect.resolved': { defectId: 'D1', resolution: 'fixed' },
  'defect.reopened': { defectId: 'D1' },
  'delivery.release.planned': { releaseId: 'R1', plannedEnd: '2026-02-01T00:00:00Z' },
  'delivery.release': { releaseId: 'R1', plannedEnd: '2026-02-01T00:00:00Z' },
  'delivery.deployment': { deploymentId: 'X', environment: 'production', status: 'success' },
  'delivery.incident.opened': { incidentId: 'I1' },
  'delivery.incident.resolved': { incidentId: 'I1' },
  'review.completed': {
    reviewId: 'RV',
    workProductType: 'code',
    sizeReviewed: 200,
    sizeUnit: 'loc',
    defectsFound: 3,
  },
  'capa.opened': { capaId: 'C1', origin: 'audit_finding' },
  'capa.updated': { capaId: 'C1' },
  'capa.closed': { capaId: 'C1' },
  'feedback.survey': { scale: 'nps_0_10', score: 9 },
  'feedback.complaint': { complaintId: 'K1' },
  'process.changed': { changeId: 'P1', kpi: '*', description: 'new review checklist' },
};

describe('event contract v1', () => {
  it('accepts a minimal event of every type and fills envelope defaults', () => {
    expect(Object.keys(MINIMAL).sort()).toEqual([...EVENT_TYPE_NAMES].sort());
    for (const type of EVENT_TYPE_NAMES) {
      const r = validateEvent({ ...base, type, data: MINIMAL[type] });
      expect(r.errors, type).toEqual([]);
      expect(r.event).toMatchObject({ specversion: '1.0', team: 'default', type });
    }
  });

  it('applies payload defaults (introducedPhase, reportedBy)', () => {
    const r = validateEvent({ ...base, type: 'defect.reported', data: MINIMAL['defect.reported'] });
    expect(r.event?.data).toMatchObject({ introducedPhase: 'unknown', reportedBy: 'internal' });
  });

  it('keeps unknown top-level and data fields', () => {
    const r = validateEvent({
      ...base,
      type: 'defect.reopened',
      extension: 1,
      data: { defectId: 'D', why: 'x' },
    });
    expect(r.event).toMatchObject({ extension: 1, data: { defectId: 'D', why: 'x' } });
  });

  it.each([
    [{ ...base, type: 'defect.reopened', data: {} }, ['data', 'defectId'], 'is required'],
    [{ ...base, id: '', type: 'defect.reopened', data: { defectId: 'D' } }, ['id'], ''],
    [{ ...base, id: 'x'.repeat(129), type: 'defect.reopened', data: { defectId: 'D' } }, ['id'], ''],
    [
      { ...base, time: '2026-01-05 10:00', type: 'defect.reopened', data: { defectId: 'D' } },
      ['time'],
      'RFC 3339',
    ],
    [
      { ...base, time: '2026-01-05T10:00:00', type: 'defect.reopened', data: { defectId: 'D' } },
      ['time'],
      'offset',
    ],
    [{ ...base, type: 'defect.unknown', data: {} }, ['type'], 'must be one of'],
    [{ ...base, specversion: '0.3', type: 'defect.reopened', data: { defectId: 'D' } }, ['specversion'], ''],
    [
      { ...base, type: 'feedback.survey', data: { scale: 'csat_1_5', score: 0 } },
      ['data', 'score'],
      '1 to 5',
    ],
    [{ ...base, type: 'feedback.survey', data: { scale: 'nps_0_10', score: 7.5 } }, ['data', 'score'], ''],
    [
      { ...base, type: 'review.completed', data: { ...MINIMAL['review.completed'], sizeReviewed: -1 } },
      ['data', 'sizeReviewed'],
      '',
    ],
    [
      { ...base, type: 'delivery.deployment', data: { ...MINIMAL['delivery.deployment'], status: 'ok' } },
      ['data', 'status'],
      'success',
    ],
    [
      {
        ...base,
        type: 'delivery.deployment',
        data: { ...MINIMAL['delivery.deployment'], changes: [{ changeId: 'c' }] },
      },
      ['data', 'changes', 0, 'committedAt'],
      'is required',
    ],
    [
      { ...base, type: 'delivery.release', data: { releaseId: 'R', plannedEnd: 'soon' } },
      ['data', 'plannedEnd'],
      '',
    ],
    [
      { ...base, time: '0001-01-01T00:00:00Z', type: 'defect.reopened', data: { defectId: 'D' } },
      ['time'],
      '1900',
    ],
    [
      { ...base, time: '2400-01-01T00:00:00Z', type: 'defect.reopened', data: { defectId: 'D' } },
      ['time'],
      '2299',
    ],
    [
      { ...base, source: 'jira\ud800', type: 'defect.reopened', data: { defectId: 'D' } },
      ['source'],
      'lone surrogate',
    ],
    [
      { ...base, type: 'defect.reopened', data: { defectId: '\udc00x' } },
      ['data', 'defectId'],
      'lone surrogate',
    ],
  ])('names the bad field %#', (input, path, message) => {
    const r = validateEvent(input, 3);
    expect(r.event).toBeUndefined();
    expect(r.errors[0]).toMatchObject({ index: 3, path });
    expect(r.errors[0]?.message).toContain(message);
  });

  it('rejects a batch whole and reports every bad event by index', () => {
    const ok = { ...base, type: 'defect.reopened', data: { defectId: 'D' } };
    const r = validateBatch([ok, { ...ok, data: {} }, ok, 'nope']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.index)).toEqual([1, 3]);
    expect(validateBatch([ok, ok])).toMatchObject({ ok: true });
  });

  it.each([
    ['source', { source: 'x\u0000b' }, ['source'], 'U+0000'],
    ['id', { id: 'b\u0000c' }, ['id'], 'control characters'],
    ['id (tab)', { id: 'a\tb' }, ['id'], 'control characters'],
    ['id (DEL)', { id: 'a\u007fb' }, ['id'], 'control characters'],
    ['source (C1)', { source: 'a\u0085b' }, ['source'], 'control characters'],
    ['team', { team: 'alpha\n' }, ['team'], 'control characters'],
    ['an entity id', { data: { defectId: 'D\u0001' } }, ['data', 'defectId'], 'control characters'],
    ['an unknown field', { data: { defectId: 'D', note: 'a\u0007b' } }, ['data', 'note'], 'U+0007'],
    ['an unknown top-level field', { ext: ['ok', '\ud83dx'] }, ['ext', 1], 'lone surrogate'],
    ['a field name', { data: { defectId: 'D', 'k\u0000': 1 } }, ['data', 'k\u0000'], 'field name'],
  ])('refuses control characters and lone surrogates in %s, naming the field', (_, over, path, message) => {
    const r = validateEvent({ ...base, type: 'defect.reopened', data: { defectId: 'D' }, ...over });
    expect(r.event).toBeUndefined();
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ path });
    expect(r.errors[0]?.message).toContain(message);
  });

  it('lets free text carry tabs and line breaks, but not identifiers', () => {
    const text = 'line one\n\tline two\r\n';
    const ok = validateEvent({
      ...base,
      type: 'process.changed',
      data: { changeId: 'P1', kpi: '*', description: text },
    });
    expect(ok.errors).toEqual([]);
    const bad = validateEvent({
      ...base,
      type: 'process.changed',
      data: { changeId: 'P\n1', kpi: '*', description: text },
    });
    expect(bad.errors.map((e) => e.path)).toEqual([['data', 'changeId']]);
  });

  it('gives distinct (source, id) pairs distinct keys, whatever they contain', () => {
    // The pair that once collided when the key joined its parts with U+0000.
    expect(eventKey({ source: 'x\u0000b', id: 'c' })).not.toBe(eventKey({ source: 'x', id: 'b\u0000c' }));
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (s1, i1, s2, i2) => {
        fc.pre(s1 !== s2 || i1 !== i2);
        return eventKey({ source: s1, id: i1 }) !== eventKey({ source: s2, id: i2 });
      }),
      { numRuns: 2_000 },
    );
  });
});
