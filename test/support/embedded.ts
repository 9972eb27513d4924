import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig } from '@shewhart/config';
import { type EmbeddedRuntime, startEmbedded } from '@shewhart/runtime';
import type { Warehouse } from '@shewhart/warehouse';

/**
 * Starts the real embedded runtime (collector + worker + chdb) on an ephemeral port in a fresh
 * temporary data directory. One per test file: chdb binds one directory per process.
 */
export async function startTestRuntime(env: Record<string, string> = {}): Promise<
  EmbeddedRuntime & {
    warehouse: Warehouse;
    dataDir: string;
    post(body: unknown, init?: RequestInit): Promise<Response>;
    dispose(): Promise<void>;
  }
> {
  // The example configuration's alert route (infra/config/shewhart.example.yaml) signs with the key in
  // this variable, and a route whose variable is unset fails start-up: set it as a deployment would.
  process.env.SHEWHART_DEMO_ALERT_KEY ??= 'test-demo-alert-key';
  const dataDir = mkdtempSync(join(tmpdir(), 'shewhart-test-'));
  const config = loadConfig({ SHEWHART_DATA_DIR: dataDir, PORT: '0', SHEWHART_FLUSH_MS: '10', ...env });
  const runtime = await startEmbedded({
    config,
    logger: createLogger(process.env.SHEWHART_TEST_LOG_LEVEL ?? 'silent', { pretty: false }),
  });
  const post = (body: unknown, init: RequestInit = {}) =>
    fetch(`${runtime.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      ...Object.fromEntries(Object.entries(init).filter(([k]) => k !== 'headers')),
    });
  return Object.assign(runtime, {
    warehouse: runtime.storage.warehouse,
    dataDir,
    post,
    dispose: async () => {
      await runtime.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** A valid event of the given type with a unique id (the same builder as the KPI tests'). */
export { ev } from '@shewhart/kpi/testing';
