import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { ReviewPack } from './pack.js';
import { parseQuarter } from './quarter.js';

/** Kept packs (`review_packs`) and review actions (`review_actions`). */

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly kind = 'not_found' as const;
}

export type PackTrigger = 'schedule' | 'api' | 'cli';

export interface StoredPackInfo {
  id: string;
  quarter: string;
  team: string | null;
  generatedAt: string;
  trigger: PackTrigger;
  command: string;
  generations: number;
}

export async function savePack(
  client: ClickHouseClient,
  pack: ReviewPack,
  trigger: PackTrigger,
): Promise<void> {
  await client.insert({
    table: 'review_packs',
    values: [
      {
        pack_id: pack.id,
        quarter: pack.quarter,
        team: pack.team ?? '',
        generated_at: pack.generatedAt.replace('T', ' ').replace('Z', ''),
        trigger,
        command: pack.provenance.command,
        body: JSON.stringify(pack),
      },
    ],
    format: 'JSONEachRow',
  });
}

/** Every kept pack (its latest generation), newest quarter first. */
export async function listPacks(client: ClickHouseClient): Promise<StoredPackInfo[]> {
  const rs = await client.query({
    query: `SELECT pack_id, any(quarter) AS quarter, any(team) AS team,
                   toString(max(generated_at)) AS latest_at,
                   argMax(trigger, generated_at) AS trigger, argMax(command, generated_at) AS command,
                   count() AS generations
            FROM review_packs GROUP BY pack_id ORDER BY quarter DESC, team, pack_id`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<Record<string, string | number>>();
  return rows.map((r) => ({
    id: String(r.pack_id),
    quarter: String(r.quarter),
    team: r.team ? String(r.team) : null,
    generatedAt: `${String(r.latest_at).replace(' ', 'T')}Z`,
    trigger: String(r.trigger) as PackTrigger,
    command: String(r.command),
    generations: Number(r.generations),
  }));
}

/** The latest generation of a kept pack; `not_found` when there is none. */
export async function loadPack(client: ClickHouseClient, id: string): Promise<ReviewPack> {
  const rs = await client.query({
    query: `SELECT body FROM review_packs WHERE pack_id = {id:String} ORDER BY generated_at DESC LIMIT 1`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ body: string }>();
  if (!row) throw new NotFoundError(`no review pack ${id} is kept (GET /v1/reports lists them)`);
  return JSON.parse(row.body) as ReviewPack;
}

export async function hasPack(client: ClickHouseClient, id: string): Promise<boolean> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM review_packs WHERE pack_id = {id:String}`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0) > 0;
}

/** ISO 9001 9.3.3 outputs: improvement opportunities, changes to the QMS, resource needs (and other decisions). */
export const ACTION_KINDS = ['improvement', 'qms_change', 'resources', 'decision'] as const;
export const ACTION_STATUSES = ['open', 'in_progress', 'done', 'cancelled'] as const;

/** Whether `s` holds a control character (C0 other than tab/newline/return, DEL, C1). */
function hasControl(s: string, allowNewlines = false): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (allowNewlines && (c === 9 || c === 10 || c === 13)) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

const clean = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !hasControl(s), 'must not contain control characters');
const text = z
  .string()
  .max(2000)
  .refine((s) => !hasControl(s, true), 'must not contain control characters');
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    'is not a calendar date',
  );

/** A new action recorded at a review (the review = its pack: quarter and team). */
export const NewAction = z.object({
  quarter: z.string().regex(/^\d{4}-Q[1-4]$/, 'must look like 2026-Q3'),
  team: clean(128).optional(),
  kind: z.enum(ACTION_KINDS),
  title: clean(500),
  owner: clean(128),
  due: date.optional(),
  status: z.enum(ACTION_STATUSES).default('open'),
  note: text.default(''),
  recordedBy: clean(128).default('api'),
});
export type NewAction = z.input<typeof NewAction>;

/** A change to an action: any of its status, owner, due date, title or note. */
export const ActionUpdate = z
  .object({
    status: z.enum(ACTION_STATUSES).optional(),
    owner: clean(128).optional(),
    due: date.optional(),
    title: clean(500).optional(),
    note: text.optional(),
    recordedBy: clean(128).default('api'),
  })
  .refine((u) => u.status ?? u.owner ?? u.due ?? u.title ?? u.note, 'nothing to change');
export type ActionUpdate = z.input<typeof ActionUpdate>;

export interface ReviewAction {
  id: string;
  revision: number;
  packId: string;
  quarter: string;
  team: string | null;
  kind: (typeof ACTION_KINDS)[number];
  title: string;
  owner: string;
  due: string | null;
  status: (typeof ACTION_STATUSES)[number];
  note: string;
  recordedBy: string;
  recordedAt: string;
}

const COLUMNS = `action_id, revision, pack_id, quarter, team, kind, title, owner,
  if(due IS NULL, NULL, toString(due)) AS due, status, note, recorded_by, toString(recorded_at) AS recorded_at`;

function toAction(r: Record<string, unknown>): ReviewAction {
  return {
    id: String(r.action_id),
    revision: Number(r.revision),
    packId: String(r.pack_id),
    quarter: String(r.quarter),
    team: r.team ? String(r.team) : null,
    kind: String(r.kind) as ReviewAction['kind'],
    title: String(r.title),
    owner: String(r.owner),
    due: r.due === null || r.due === undefined ? null : String(r.due),
    status: String(r.status) as ReviewAction['status'],
    note: String(r.note),
    recordedBy: String(r.recorded_by),
    recordedAt: `${String(r.recorded_at).replace(' ', 'T')}Z`,
  };
}

function insertRevision(client: ClickHouseClient, a: Omit<ReviewAction, 'recordedAt'>) {
  return client.insert({
    table: 'review_actions',
    values: [
      {
        action_id: a.id,
        revision: a.revision,
        pack_id: a.packId,
        quarter: a.quarter,
        team: a.team ?? '',
        kind: a.kind,
        title: a.title,
        owner: a.owner,
        due: a.due,
        status: a.status,
        note: a.note,
        recorded_by: a.recordedBy,
      },
    ],
    format: 'JSONEachRow',
  });
}

export async function addAction(client: ClickHouseClient, input: NewAction): Promise<ReviewAction> {
  const a = NewAction.parse(input);
  parseQuarter(a.quarter);
  const id = `ra-${randomBytes(5).toString('hex')}`;
  await insertRevision(client, {
    id,
    revision: 1,
    packId: a.team ? `${a.quarter}.${a.team}` : a.quarter,
    quarter: a.quarter,
    team: a.team ?? null,
    kind: a.kind,
    title: a.title,
    owner: a.owner,
    due: a.due ?? null,
    status: a.status,
    note: a.note,
    recordedBy: a.recordedBy,
  });
  return getAction(client, id);
}

export async function getAction(client: ClickHouseClient, id: string): Promise<ReviewAction> {
  const rs = await client.query({
    query: `SELECT ${COLUMNS} FROM review_actions WHERE action_id = {id:String}
            ORDER BY revision DESC, recorded_at DESC LIMIT 1`,
    query_params: { id },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<Record<string, unknown>>();
  if (!row) throw new NotFoundError(`no review action ${id}`);
  return toAction(row);
}

export async function updateAction(
  client: ClickHouseClient,
  id: string,
  input: ActionUpdate,
): Promise<ReviewAction> {
  const u = ActionUpdate.parse(input);
  const current = await getAction(client, id);
  await insertRevision(client, {
    ...current,
    revision: current.revision + 1,
    ...(u.status ? { status: u.status } : {}),
    ...(u.owner ? { owner: u.owner } : {}),
    ...(u.due ? { due: u.due } : {}),
    ...(u.title ? { title: u.title } : {}),
    ...(u.note !== undefined ? { note: u.note } : {}),
    recordedBy: u.recordedBy,
  });
  return getAction(client, id);
}

/**
 * The current state of the review actions, oldest review first: of one review (`packId`), of every review
 * before a quarter (`before`: the input (a) of that quarter's pack), of one scope (`team`; '' = the
 * organisation's reviews).
 */
export async function listActions(
  client: ClickHouseClient,
  filter: { packId?: string; before?: string; team?: string | null; status?: string } = {},
): Promise<ReviewAction[]> {
  const rs = await client.query({
    query: `SELECT * FROM (
              SELECT ${COLUMNS} FROM review_actions
              ORDER BY action_id, revision DESC, recorded_at DESC LIMIT 1 BY action_id)
            WHERE ({pack:Nullable(String)} IS NULL OR pack_id = {pack:Nullable(String)})
              AND ({before:Nullable(String)} IS NULL OR quarter < {before:Nullable(String)})
              AND ({team:Nullable(String)} IS NULL OR team = {team:Nullable(String)})
              AND ({status:Nullable(String)} IS NULL OR status = {status:Nullable(String)})
            ORDER BY quarter, team, action_id`,
    query_params: {
      pack: filter.packId ?? null,
      before: filter.before ?? null,
      team: filter.team === undefined ? null : (filter.team ?? ''),
      status: filter.status ?? null,
    },
    format: 'JSONEachRow',
  });
  return (await rs.json<Record<string, unknown>>()).map(toAction);
}

/** Whether any event is stored with a time before `end`. */
export async function hasEventsBefore(client: ClickHouseClient, end: Date): Promise<boolean> {
  const rs = await client.query({
    query: `SELECT count() > 0 AS any FROM (SELECT 1 FROM events_raw WHERE time < {end:DateTime64(3, 'UTC')} LIMIT 1)`,
    query_params: { end: end.toISOString().replace('T', ' ').replace('Z', '') },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ any: number | boolean }>();
  return Number(row?.any ?? 0) > 0;
}
