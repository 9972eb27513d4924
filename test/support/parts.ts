/**
 * A fault point the crash tests can aim at without any hook in the code under test: the moment a table
 * of an embedded data directory gets a new part (an INSERT committed its block, a merge finished). Killing
 * the server then lands inside the statement that wrote it (before the parts its materialized views write)
 * or just after it (before the next statement), which random timing rarely hits.
 */
import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';

export interface PartWatcher {
  /** Resolves at the next new part of the table, or after `timeoutMs` (false). */
  next(timeoutMs: number): Promise<boolean>;
  close(): void;
}

/** Watches the part directory of `table` (database `shewhart`) under an embedded data directory. */
export function watchParts(dataDir: string, table: string): PartWatcher {
  const metadata = readFileSync(join(dataDir, 'clickhouse', 'metadata', 'shewhart', `${table}.sql`), 'utf8');
  const uuid = /UUID '([0-9a-f-]{36})'/.exec(metadata)?.[1];
  if (!uuid) throw new Error(`no UUID in the metadata of ${table}`);
  let waiting: ((part: boolean) => void) | undefined;
  const watcher: FSWatcher = watch(
    join(dataDir, 'clickhouse', 'store', uuid.slice(0, 3), uuid),
    (_, name) => {
      // An INSERT writes tmp_insert_all_…, then renames it to all_… when the part is committed.
      if (typeof name === 'string' && /^all_\d+_\d+_\d+/.test(name)) waiting?.(true);
    },
  );
  return {
    next: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          resolve(false);
        }, timeoutMs);
        waiting = (part) => {
          clearTimeout(timer);
          waiting = undefined;
          resolve(part);
        };
      }),
    close: () => watcher.close(),
  };
}
