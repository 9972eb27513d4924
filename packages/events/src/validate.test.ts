import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_NAMES, validateBatch, validateEvent } from './index.js';

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
});
