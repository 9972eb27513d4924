import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
const lockFile = (dataDir: string) => join(resolve(dataDir), 'engine.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

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

/** Takes the directory's engine lock; throws a clear error when another live process holds it. */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(resolve(dataDir), { recursive: true });
  const path = lockFile(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new Error(
          `the data directory ${resolve(dataDir)} is in use by process ${holder}; ` +
            'stop it, or run this command while `shewhart start` serves the directory',
        );
      }
      rmSync(path, { force: true }); // stale lock of a process that is gone
    }
  }
  throw new Error(`could not lock ${resolve(dataDir)}`);
}
