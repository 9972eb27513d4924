import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's signing key. `shewhart start --demo` with the example configuration must work on a machine
 * with nothing set, yet a webhook route always signs with a key from a variable. So the example route
 * names `SHEWHART_DEMO_ALERT_KEY`, and when that variable is unset the demo — only the demo, only with
 * the example file — uses a random key kept in its data directory (created once, readable by its owner
 * alone). `shewhart receiver` reads the same file, so both ends agree without anyone copying a key.
 * A real deployment sets its own variables; this file is never consulted for them.
 */
export const DEMO_KEY_ENV = 'SHEWHART_DEMO_ALERT_KEY';
export const DEMO_KEY_FILE = 'demo-alert-key';

export function demoKeyPath(dataDir: string): string {
  return join(dataDir, DEMO_KEY_FILE);
}

/** The data directory's demo key, or undefined when the demo has not created one there. */
export function readDemoKey(dataDir: string): string | undefined {
  try {
    const key = readFileSync(demoKeyPath(dataDir), 'utf8').trim();
    return key.length > 0 ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The data directory's demo key, created (256 random bits, mode 0600) when there is none yet. */
export function demoKey(dataDir: string): string {
  const existing = readDemoKey(dataDir);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  try {
    // `wx`: two demos starting at once on one directory keep the first key.
    writeFileSync(demoKeyPath(dataDir), `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readDemoKey(dataDir) ?? key;
}
