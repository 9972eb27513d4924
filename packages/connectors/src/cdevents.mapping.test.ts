import { describe, expect, it } from 'vitest';
import { mapCdevents } from './cdevents.mapping.js';
import { CdeventsSource } from './sources.section.js';
import { eventsOf, fixture, ignoredOf } from './testing.js';

const config = CdeventsSource.parse({ sources: { '/tekton': { team: 'payments', project: 'api' } } });
const ctx = { config, defaultTeam: 'unassigned' };

const binary = (payload: unknown) => ({ headers: { 'ce-specversion': '1.0' }, payload });
const cd = (
  type: string,
  subject: Record<string, unknown>,
  customData: Record<string, unknown> = {},
  id = 'ev-1',
) => ({
  context: {
    specversion: '0.4.1',
    id,
    source: '/tekton/prod-cluster',
    type,
    timestamp: '2024-03-08T10:00:00Z',
  },
  subject,
  customData,
});

describe('CDEvents', () => {
  it('service.deployed (binary mode) to prod is a successful production deployment of the producer team', () => {
    const [e] = eventsOf(mapCdevents(binary(fixture('cdevents-service_deployed')), ctx));
    expect(e).toMatchObject({
      id: 'service.deployed-271069a8-fc18-44f1-b38f-9d70a1695819',
      source: 'cdevents/tekton/prod-cluster',
      type: 'delivery.deployment',
      time: '2024-03-07T15:20:05.315Z',
      team: 'payments',
      project: 'api',
      data: {
        deploymentId: '271069a8-fc18-44f1-b38f-9d70a1695819',
        environment: 'production',
        status: 'success',
      },
    });
    expect(e?.data.changes).toHaveLength(1);
  });

  it('incident.detected (structured mode) opens an incident; reported for the same incident has the same id', () => {
    const structured = fixture('cdevents-incident_detected.structured');
    const [e] = eventsOf(mapCdevents({ headers: {}, payload: structured }, ctx));
    expect(e).toMatchObject({
      id: 'incident-incident-123-opened',
      type: 'delivery.incident.opened',
      team: 'unassigned',
      data: {
        incidentId: 'incident-123',
        severity: 'major',
        causedByDeploymentId: '271069a8-fc18-44f1-b38f-9d70a1695819',
      },
    });
    const data = structured.data as { context: Record<string, unknown> };
    data.context.type = 'dev.cdevents.incident.reported.0.2.0';
    data.context.id = 'another-event';
    expect(eventsOf(mapCdevents({ headers: {}, payload: structured }, ctx))[0]?.id).toBe(
      'incident-incident-123-opened',
    );
  });

  it('incident.resolved restores service', () => {
    const [e] = eventsOf(
      mapCdevents(
        binary(cd('dev.cdevents.incident.resolved.0.2.0', { id: 'incident-123', content: {} })),
        ctx,
      ),
    );
    expect(e).toMatchObject({ type: 'delivery.incident.resolved', data: { incidentId: 'incident-123' } });
  });

  it('change.merged with its size is a review; without it, ignored', () => {
    const subject = { id: '118', content: { repository: { id: 'acme/payments-api' } } };
    const [e] = eventsOf(
      mapCdevents(
        binary(
          cd('dev.cdevents.change.merged.0.2.0', subject, {
            additions: 10,
            deletions: 5,
            defectsFound: 2,
            createdAt: '2024-03-07T10:00:00Z',
          }),
        ),
        ctx,
      ),
    );
    expect(e).toMatchObject({
      id: 'change-acme/payments-api/118-merged',
      type: 'review.completed',
      data: {
        reviewId: 'acme/payments-api/118',
        sizeReviewed: 15,
        defectsFound: 2,
        outcome: 'approved',
        durationHours: 24,
      },
    });
    expect(ignoredOf(mapCdevents(binary(cd('dev.cdevents.change.reviewed.0.2.0', subject)), ctx))).toContain(
      'size',
    );
  });

  it('tickets that are bugs are defects: created, updated (re-triage) and closed', () => {
    const content = {
      summary: 'CVE',
      ticketType: 'bug',
      priority: 'high',
      uri: 'https://t/1',
      group: 'security',
    };
    const [c] = eventsOf(
      mapCdevents(binary(cd('dev.cdevents.ticket.created.0.2.0', { id: 'T-1', content })), ctx),
    );
    expect(c).toMatchObject({
      id: 'ticket-T-1-created',
      type: 'defect.reported',
      data: { defectId: 'T-1', severity: 'major', detectionActivity: 'production', component: 'security' },
    });
    const [x] = eventsOf(
      mapCdevents(
        binary(
          cd('dev.cdevents.ticket.closed.0.2.0', {
            id: 'T-1',
            content: { ...content, resolution: 'duplicate' },
          }),
        ),
        ctx,
      ),
    );
    expect(x).toMatchObject({ type: 'defect.resolved', data: { resolution: 'duplicate' } });
    const task = { ...content, ticketType: 'task' };
    expect(
      ignoredOf(
        mapCdevents(binary(cd('dev.cdevents.ticket.created.0.2.0', { id: 'T-2', content: task })), ctx),
      ),
    ).toContain('not a bug');
  });

  it('anything else is ignored with a reason', () => {
    expect(ignoredOf(mapCdevents(binary({ hello: 1 }), ctx))).toContain('not a CDEvent');
    expect(
      ignoredOf(
        mapCdevents(binary(cd('dev.cdevents.pipelinerun.started.0.2.0', { id: 'p', content: {} })), ctx),
      ),
    ).toContain('not mapped');
    expect(
      ignoredOf(
        mapCdevents(binary(cd('dev.cdevents.service.deployed.0.2.0', { id: 's', content: {} })), ctx),
      ),
    ).toContain('environment');
  });
});
