import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, openWarehouse } from '@shewhart/warehouse';
import { afterAll, expect, it } from 'vitest';
import { ev } from './support/embedded.js';

/**
 * Signals reach the server (docs/reliability.md, "Signals and shutdown"): started the documented way
 * (`node --import tsx packages/cli/src/main.ts start`) or through `pnpm shewhart start`, a SIGTERM sent to
 * the outermost process only — what a container runtime or systemd sends to the main process — ends in
 * the server's ordered shutdown: it exits, its server record is removed, every acknowledged event is
 * stored, and the port is free.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// One data directory for both runs: chdb binds one directory per process, and this process reads it last.
const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-signals-'));
const record = join(dataDir, 'shewhart.server.json');
const spawned: number[] = [];
afterAll(() => {
  for (const pid of spawned) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((r) => {
    const server = createServer();
    server.once('error', () => r(false));
    server.listen(port, '127.0.0.1', () => server.close(() => r(true)));
  });
}

/** Posts batches until `stop` resolves (and a few more); `acknowledged` collects the ids answered 202. */
async function ingestUntil(
  url: string,
  source: string,
  stop: Promise<unknown>,
  acknowledged: string[],
): Promise<void> {
  let stopping = false;
  void stop.then(() => {
    stopping = true;
  });
  for (let batch = 0; !stopping || batch < 3; batch++) {
    const events = Array.from({ length: 200 }, (_, i) =>
      ev('feedback.complaint', { complaintId: `${source}-${batch}-${i}` }, { source, id: `${batch}-${i}` }),
    );
    try {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      if (res.status === 202) acknowledged.push(...events.map((e) => e.id));
    } catch {
      // refused or reset while stopping: not acknowledged
    }
    if (stopping && batch >= 3) break;
  }
}

async function runAndStop(command: string, args: string[], source: string): Promise<string[]> {
  const outer = spawn(command, args, {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: the SIGTERM goes to the outer process alone
  });
  spawned.push(outer.pid as number);
  let out = '';
  outer.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  outer.stderr?.resume();
  const url = await until('the server to listen', () =>
    /running at (http:\/\/\S+?)\s/.exec(out)?.[1]?.replace(/\.$/, ''),
  );
  const server = JSON.parse(readFileSync(record, 'utf8')) as { pid: number; url: string };
  spawned.push(server.pid);
  expect(server.url).toBe(url);
  const { port } = new URL(url);

  let signalled: () => void = () => {};
  const signal = new Promise<void>((r) => {
    signalled = r;
  });
  const acknowledged: string[] = [];
  const ingest = ingestUntil(url, source, signal, acknowledged);
  // The SIGTERM lands while batches are in flight.
  await until('acknowledged batches', () => (acknowledged.length >= 600 ? true : undefined));
  process.kill(outer.pid as number, 'SIGTERM');
  signalled();
  await ingest;

  await until('the server to exit', () => (alive(server.pid) ? undefined : true));
  expect(existsSync(record)).toBe(false);
  expect(await portFree(Number(port))).toBe(true);
  expect(acknowledged.length).toBeGreaterThan(0);
  return acknowledged;
}

it('stops cleanly on a SIGTERM to the process a supervisor starts, the documented way and through pnpm', async () => {
  const direct = await runAndStop(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/main.ts', 'start', '--data', dataDir, '--port', '0'],
    'signals/direct',
  );
  const pnpm = await runAndStop(
    'pnpm',
    ['-s', 'shewhart', 'start', '--data', dataDir, '--port', '0'],
    'signals/pnpm',
  );
  const warehouse = await openWarehouse({ database: 'shewhart', dataDir });
  try {
    for (const [source, ids] of [
      ['signals/direct', direct],
      ['signals/pnpm', pnpm],
    ] as const) {
      const rs = await warehouse.client.query({
        query: 'SELECT id FROM events_raw WHERE source = {source:String}',
        query_params: { source },
        format: 'JSONEachRow',
      });
      const stored = new Set((await rs.json<{ id: string }>()).map((r) => r.id));
      expect(
        ids.filter((id) => !stored.has(id)),
        `${source}: acknowledged but not stored`,
      ).toEqual([]);
    }
  } finally {
    await warehouse.close();
  }
}, 240_000);
