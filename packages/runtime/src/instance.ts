import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alive } from '@shewhart/warehouse';

/**
 * The embedded engine allows one process per data directory. `start` records itself in
 * `<data>/shewhart.server.json`; other commands read it and talk to that process over HTTP instead of
 * opening the directory. Commands that open the directory themselves hold `<data>/engine.lock`.
 */
export interface ServerRecord {
  pid: number;
  url: string;
  startedAt: string;
}

const serverFile = (dataDir: string) => join(resolve(dataDir), 'shewhart.server.json');

export function writeServerRecord(dataDir: string, url: string): void {
  const record: ServerRecord = { pid: process.pid, url, startedAt: new Date().toISOString() };
  writeFileSync(serverFile(dataDir), `${JSON.stringify(record)}\n`);
}

export function removeServerRecord(dataDir: string): void {
  rmSync(serverFile(dataDir), { force: true });
}

/** The running `start` process for this directory, if any (a stale record of a dead process is ignored). */
export function findRunningServer(dataDir: string): ServerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(serverFile(dataDir), 'utf8')) as ServerRecord;
    return alive(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}
