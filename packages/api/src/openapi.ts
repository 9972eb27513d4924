import { MemoryBus } from '@shewhart/bus';
import type { EntityStates } from '@shewhart/kpi';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildHttpApp } from './app.js';

/**
 * The OpenAPI document of the HTTP API, derived from the routes' own request schemas (the ones that
 * validate requests), so the document cannot drift from what the server accepts. Built from an app that
 * never listens and never touches storage.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = buildHttpApp({
    bus: new MemoryBus(),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    auth: { ingest: [], read: [], decide: [] },
    maxBodyBytes: 1024,
    requestTimeoutMs: 1000,
    isReady: () => false,
    // Registers the query routes; no handler runs while the document is generated.
    states: {} as EntityStates,
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
