import type { ShewhartEventInput } from '@shewhart/events';
import {
  envelope,
  globMatch,
  hoursBetween,
  ignored,
  isRecord,
  type Mapped,
  num,
  type Scope,
  str,
  timestamp,
} from './mapping.js';
import { CdeventsSource } from './sources.section.js';

/**
 * A CDEvent as it arrives over HTTP (CloudEvents HTTP binding): in binary mode the CloudEvents attributes
 * are `ce-*` headers and the body is the CDEvent (`context`, `subject`, `customData`); in structured mode
 * (`application/cloudevents+json`) the body is the CloudEvent and the CDEvent is its `data`.
 */
export interface CdeventsDelivery {
  headers: Record<string, string | string[] | undefined>;
  payload: unknown;
}

export interface CdeventsContext {
  config: CdeventsSource | undefined;
  defaultTeam: string;
}

interface Cdevent {
  id: string;
  source: string;
  /** `<subject>.<predicate>`, e.g. `service.deployed` (from `dev.cdevents.service.deployed.0.3.0`). */
  kind: string;
  time: string;
  subjectId: string;
  content: Record<string, unknown>;
  custom: Record<string, unknown>;
}

const header = (h: CdeventsDelivery['headers'], name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The CDEvent inside a delivery, whichever mode carried it; undefined when there is none. */
export function readCdevent(delivery: CdeventsDelivery): Cdevent | string {
  const body = delivery.payload;
  if (!isRecord(body)) return 'the body is not a JSON object';
  // Structured mode: the CloudEvent's data is the CDEvent; binary mode or a bare CDEvent: the body is.
  const cd = isRecord(body.data) && isRecord(body.data.context) ? body.data : body;
  const context = isRecord(cd.context) ? cd.context : {};
  const subject = isRecord(cd.subject) ? cd.subject : undefined;
  const type = str(context.type) ?? str(body.type) ?? header(delivery.headers, 'ce-type');
  const m = type ? /^dev\.cdevents\.([a-z]+)\.([a-z]+)(?:\.\d+\.\d+\.\d+(?:-[\w.]+)?)?$/.exec(type) : null;
  if (!m) return `not a CDEvent type: "${type}"`;
  const id = str(context.id) ?? str(body.id) ?? header(delivery.headers, 'ce-id');
  const source = str(context.source) ?? str(body.source) ?? header(delivery.headers, 'ce-source');
  const time =
    timestamp(context.timestamp) ?? timestamp(body.time) ?? timestamp(header(delivery.headers, 'ce-time'));
  const subjectId = subject ? str(subject.id) : undefined;
  if (!id || !source || !time || !subject || !subjectId)
    return 'a CDEvent needs context.id, source, timestamp and subject.id';
  return {
    id,
    source,
    kind: `${m[1]}.${m[2]}`,
    time,
    subjectId,
    content: isRecord(subject.content) ? subject.content : {},
    custom: isRecord(cd.customData) ? cd.customData : {},
  };
}

/** CDEvents and CloudEvents severities/priorities as contract severities. */
function severityOf(value: unknown): 'critical' | 'major' | 'minor' | 'trivial' | undefined {
  const s = str(value)?.toLowerCase();
  if (!s) return undefined;
  if (s === 'critical' || s === 'highest' || s === 'blocker' || s === 'p1' || s === 'sev1') return 'critical';
  if (s === 'major' || s === 'high' || s === 'p2' || s === 'sev2') return 'major';
  if (s === 'minor' || s === 'medium' || s === 'p3' || s === 'sev3') return 'minor';
  if (s === 'trivial' || s === 'low' || s === 'lowest' || s === 'p4' || s === 'sev4') return 'trivial';
  return undefined;
}

function scopeFor(source: string, ctx: CdeventsContext): Scope {
  const table = ctx.config?.sources ?? {};
  // The longest configured prefix of the producer's source wins.
  const key = Object.keys(table)
    .filter((k) => source === k || source.startsWith(k.endsWith('/') ? k : `${k}/`))
    .sort((a, b) => b.length - a.length)[0];
  const hit = key ? table[key] : undefined;
  return hit
    ? { team: hit.team, ...(hit.project ? { project: hit.project } : {}), mapped: true }
    : { team: ctx.defaultTeam, mapped: false };
}

const ACTIVITIES = new Set([
  'requirements_review',
  'design_review',
  'code_review',
  'unit_test',
  'integration_test',
  'system_test',
  'acceptance_test',
  'production',
  'customer',
]);

/**
 * CDEvents as contract events: `service.deployed|upgraded|rolledback` → `delivery.deployment`,
 * `incident.detected|reported` → `delivery.incident.opened`, `incident.resolved` →
 * `delivery.incident.resolved`, `change.reviewed|merged` → `review.completed` (when `customData` says
 * the size), `ticket.created|updated|closed` of bugs → `defect.*`. Ids: the incident and ticket
 * transitions derive from the subject id (an incident detected by monitoring and reported by a person is
 * one opening); the rest use the CDEvent id, which the producer keeps across redeliveries.
 */
export function mapCdevents(delivery: CdeventsDelivery, ctx: CdeventsContext): Mapped {
  const ev = readCdevent(delivery);
  if (typeof ev === 'string') return ignored(ev);
  const config = ctx.config ?? CdeventsSource.parse({});
  const scope = scopeFor(ev.source, ctx);
  const source = `cdevents/${ev.source.replace(/^\/+/, '')}`;
  const result = mapOne(ev, source, scope, config);
  return scope.mapped ? result : { ...result, unmapped: source };
}

function mapOne(ev: Cdevent, source: string, scope: Scope, config: CdeventsSource): Mapped {
  const env = (id: string) => envelope(source, scope, id, ev.time);
  const one = (e: ShewhartEventInput): Mapped => ({ events: [e] });
  const { content, custom } = ev;
  switch (ev.kind) {
    case 'service.deployed':
    case 'service.upgraded':
    case 'service.rolledback': {
      const envId = isRecord(content.environment) ? str(content.environment.id) : undefined;
      if (!envId) return ignored('a service event without environment.id');
      const production = config.productionEnvironments.some((g) => globMatch(g, envId));
      const changes = (Array.isArray(custom.changes) ? custom.changes : [])
        .filter(isRecord)
        .map((c) => ({ changeId: str(c.changeId), committedAt: timestamp(c.committedAt) }))
        .filter((c): c is { changeId: string; committedAt: string } => !!c.changeId && !!c.committedAt);
      return one({
        ...env(`${ev.kind}-${ev.id}`),
        type: 'delivery.deployment',
        data: {
          deploymentId: str(custom.deploymentId) ?? ev.id,
          environment: production ? 'production' : envId,
          status: ev.kind === 'service.rolledback' ? 'rolled_back' : 'success',
          service: ev.subjectId,
          ...(str(content.artifactId) ? { artifactId: str(content.artifactId) } : {}),
          ...(str(custom.releaseId) ? { releaseId: str(custom.releaseId) } : {}),
          ...(changes.length > 0 ? { changes } : {}),
          ...(production && envId !== 'production' ? { toolEnvironment: envId } : {}),
        },
      });
    }
    case 'incident.detected':
    case 'incident.reported': {
      const severity = severityOf(custom.severity) ?? severityOf(custom.priority);
      return one({
        ...env(`incident-${ev.subjectId}-opened`),
        type: 'delivery.incident.opened',
        data: {
          incidentId: ev.subjectId,
          ...(severity ? { severity } : {}),
          ...(str(custom.causedByDeploymentId)
            ? { causedByDeploymentId: str(custom.causedByDeploymentId) }
            : {}),
          ...(str(content.description) ? { description: str(content.description) } : {}),
        },
      });
    }
    case 'incident.resolved':
      return one({
        ...env(`incident-${ev.subjectId}-resolved-${ev.id}`),
        type: 'delivery.incident.resolved',
        data: { incidentId: ev.subjectId },
      });
    case 'change.reviewed':
    case 'change.merged': {
      const size =
        num(custom.sizeReviewed) ??
        (num(custom.additions) !== undefined || num(custom.deletions) !== undefined
          ? (num(custom.additions) ?? 0) + (num(custom.deletions) ?? 0)
          : undefined);
      if (size === undefined) {
        return ignored(
          `${ev.kind} without customData.sizeReviewed (or additions/deletions): a review needs its size`,
        );
      }
      const repo = isRecord(content.repository) ? str(content.repository.id) : undefined;
      const reviewId = repo ? `${repo}/${ev.subjectId}` : ev.subjectId;
      const outcome = str(custom.outcome) as 'approved' | 'changes_requested' | 'rejected' | undefined;
      const defects = num(custom.defectsFound);
      return one({
        ...env(
          ev.kind === 'change.merged' ? `change-${reviewId}-merged` : `change-${reviewId}-reviewed-${ev.id}`,
        ),
        type: 'review.completed',
        data: {
          reviewId,
          workProductType: 'code',
          workProductId: reviewId,
          sizeReviewed: size,
          sizeUnit: 'loc',
          defectsFound: defects !== undefined && Number.isInteger(defects) && defects >= 0 ? defects : 0,
          ...(ev.kind === 'change.merged'
            ? { outcome: 'approved' as const }
            : outcome === 'approved' || outcome === 'changes_requested' || outcome === 'rejected'
              ? { outcome }
              : {}),
          ...(timestamp(custom.createdAt)
            ? { durationHours: hoursBetween(timestamp(custom.createdAt), ev.time) }
            : {}),
        },
      });
    }
    case 'ticket.created':
    case 'ticket.updated':
    case 'ticket.closed': {
      const labels = Array.isArray(content.labels)
        ? content.labels.map(str).filter((l): l is string => !!l)
        : [];
      const bug =
        str(content.ticketType)?.toLowerCase() === 'bug' || labels.some((l) => l.toLowerCase() === 'bug');
      if (!bug) return ignored('a ticket that is not a bug (ticketType or label "bug")');
      const defectId = ev.subjectId;
      if (ev.kind === 'ticket.closed') {
        const r = str(content.resolution)?.toLowerCase();
        const resolution = r === 'duplicate' ? 'duplicate' : r === 'withdrawn' ? 'not_a_defect' : 'fixed';
        return one({
          ...env(`ticket-${defectId}-closed-${ev.id}`),
          type: 'defect.resolved',
          data: { defectId, resolution },
        });
      }
      const activity = str(custom.detectionActivity);
      return one({
        ...env(
          ev.kind === 'ticket.created' ? `ticket-${defectId}-created` : `ticket-${defectId}-updated-${ev.id}`,
        ),
        type: 'defect.reported',
        data: {
          defectId,
          severity: severityOf(custom.severity) ?? severityOf(content.priority) ?? config.defaultSeverity,
          detectionActivity: activity && ACTIVITIES.has(activity) ? activity : config.defaultActivity,
          ...(str(content.group) ? { component: str(content.group) } : {}),
        },
      });
    }
    default:
      return ignored(`CDEvents "${ev.kind}" events are not mapped`);
  }
}
