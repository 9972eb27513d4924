/**
 * What the crash tests (embedded server, Kafka worker) check after many SIGKILLs, and against what:
 * - storage, read from the data directory after a clean stop: every event sent and acknowledged is in
 *   `events_raw` exactly once (no FINAL), in `event_keys` once and in its typed table once, nothing else
 *   is there, and FINAL counts the same (no duplicate on disk, merged or not);
 * - every KPI of the catalogue (`GET /v1/kpis/:id`, org scope, weekly, at a fixed `asOf`) equals the KPI
 *   of the same events ingested calmly into a fresh directory (`calmKpis`).
 * The tables and which event types each holds are spelled out here on purpose: the checker must not
 * share the code it checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryStore } from './processes.js';
import { startServer } from './server.js';

export interface SentEvent {
  source: string;
  id: string;
  type: string;
}

/** The tables a KPI reads that hold one row per event, and the events each holds. */
const PER_EVENT_TABLES: Record<string, (type: string) => boolean> = {
  events_raw: () => true,
  event_keys: () => true,
  defect_events: (t) => t.startsWith('defect.'),
  delivery_events: (t) => t.startsWith('delivery.'),
  quality_events: (t) => t === 'review.completed' || t.startsWith('capa.') || t.startsWith('feedback.'),
};

const keyOf = (source: string, id: string) => JSON.stringify([source, id]);

/**
 * Differences between the per-event tables of a stopped data directory and the events expected there
 * (each exactly once); empty when they agree. Events of `sources` only: a test may share a directory.
 */
export async function storageProblems(dataDir: string, expected: readonly SentEvent[]): Promise<string[]> {
  const sources = [...new Set(expected.map((e) => e.source))];
  const inSources = `source IN (${sources.map((s) => `'${s.replaceAll("'", "\\'")}'`).join(', ')})`;
  const tables = Object.keys(PER_EVENT_TABLES);
  const results = await queryStore<Record<string, string>>(
    dataDir,
    ...tables.flatMap((t) => [
      `SELECT source, id, count() AS c FROM ${t} WHERE ${inSources} GROUP BY source, id`,
      `SELECT count() AS n FROM ${t} FINAL WHERE ${inSources}`,
    ]),
  );
  const problems: string[] = [];
  tables.forEach((table, i) => {
    const want = new Set(
      expected.filter((e) => PER_EVENT_TABLES[table]?.(e.type)).map((e) => keyOf(e.source, e.id)),
    );
    const rows = results[2 * i] ?? [];
    const final = Number(results[2 * i + 1]?.[0]?.n);
    const found = new Map(rows.map((r) => [keyOf(String(r.source), String(r.id)), Number(r.c)]));
    const missing = [...want].filter((k) => !found.has(k));
    const doubled = [...found].filter(([, c]) => c > 1);
    const foreign = [...found.keys()].filter((k) => !want.has(k));
    const eg = (keys: string[]) => (keys.length > 0 ? ` (e.g. ${keys.slice(0, 3).join(', ')})` : '');
    if (missing.length > 0) problems.push(`${table}: ${missing.length} events missing${eg(missing)}`);
    if (doubled.length > 0) {
      const extra = doubled.reduce((s, [, c]) => s + c - 1, 0);
      problems.push(
        `${table}: ${doubled.length} events stored more than once (${extra} extra rows)${eg(doubled.map(([k]) => k))}`,
      );
    }
    if (foreign.length > 0)
      problems.push(`${table}: ${foreign.length} events that do not belong${eg(foreign)}`);
    if (final !== want.size) problems.push(`${table}: FINAL counts ${final} rows for ${want.size} events`);
  });
  return problems;
}

export type KpiSnapshot = Record<string, unknown[]>;

/** Every KPI of the catalogue, org scope, weekly, as of `asOf`: id → points. */
export async function kpiSnapshot(url: string, asOf: string): Promise<KpiSnapshot> {
  const list = (await (await fetch(`${url}/v1/kpis`)).json()) as { kpis: { id: string }[] };
  const out: KpiSnapshot = {};
  for (const { id } of list.kpis) {
    const res = await fetch(`${url}/v1/kpis/${id}?period=week&asOf=${encodeURIComponent(asOf)}`);
    const body = (await res.json()) as { points?: unknown[] };
    if (res.status !== 200)
      throw new Error(`GET /v1/kpis/${id} answered ${res.status}: ${JSON.stringify(body)}`);
    out[id] = body.points ?? [];
  }
  return out;
}

/** Numbers equal up to float summation order (parts merge in another order after crashes). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      same(ka, kb) &&
      ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/** The KPIs whose points differ between two snapshots, each with its first differing point. */
export function kpiDifferences(actual: KpiSnapshot, expected: KpiSnapshot): string[] {
  const ids = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
  const out: string[] = [];
  for (const id of ids) {
    const a = actual[id] ?? [];
    const e = expected[id] ?? [];
    if (same(a, e)) continue;
    const at = Array.from({ length: Math.max(a.length, e.length) }, (_, i) => i).find(
      (i) => !same(a[i], e[i]),
    );
    out.push(
      `${id}: ${a.length} points vs ${e.length} calm; first difference at ${at}: ${JSON.stringify(a[at ?? 0])} vs ${JSON.stringify(e[at ?? 0])}`,
    );
  }
  return out;
}

/** POSTs one batch; true once acknowledged (202), false when unanswered or refused for now (5xx). */
export async function postBatch(url: string, events: readonly unknown[]): Promise<boolean> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
  } catch {
    return false; // the server died mid-request: unacknowledged
  }
  const body = await res.text().catch(() => '');
  if (res.status === 202) return true;
  if (res.status >= 500) return false;
  throw new Error(`ingest answered ${res.status}: ${body}`);
}

/** The KPIs of `batches` ingested calmly (one batch at a time, no crash) into a fresh directory. */
export async function calmKpis(batches: readonly (readonly unknown[])[], asOf: string): Promise<KpiSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'shewhart-calm-'));
  const server = await startServer(dir);
  try {
    for (const batch of batches) {
      if (!(await postBatch(server.url, batch)))
        throw new Error(`calm ingest failed\n${server.logs().slice(-4_000)}`);
    }
    return await kpiSnapshot(server.url, asOf);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
