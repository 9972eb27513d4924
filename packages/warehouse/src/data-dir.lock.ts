import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** True while a process with this pid exists (EPERM: it exists but is not ours). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded engine allows one process per data directory. Takes `<data>/engine.lock` (the same file
 * `shewhart start` and the CLI take, so a worker and an embedded server never share a directory); a
 * lock left by a killed process is taken over. Returns the release function.
 */
export function lockDataDir(
  dataDir: string,
  hint = 'stop it, or give this process its own data directory (or a shared CLICKHOUSE_URL)',
): () => void {
  mkdirSync(resolve(dataDir), { recursive: true });
  const path = join(resolve(dataDir), 'engine.lock');
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
        throw new Error(`the data directory ${resolve(dataDir)} is in use by process ${holder}; ${hint}`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not lock ${resolve(dataDir)}`);
}
