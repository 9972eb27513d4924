import { type AppConfig, createLogger, loadConfig } from '@shewhart/config';
import { findRunningServer, openStorage, type Storage, startEmbedded } from '@shewhart/runtime';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ApiClient } from './api-client.js';

/** Flags every data command understands. */
export interface CommonFlags {
  data?: string;
  url?: string;
  token?: string;
  logLevel?: string;
  config?: string;
}

export function addCommonFlags(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'data directory of the embedded engine (env SHEWHART_DATA_DIR)', undefined)
    .option('--url <url>', 'talk to a running Shewhart server instead (discovered automatically for --data)')
    .option('--token <token>', 'bearer token for --url (env SHEWHART_TOKEN)')
    .option('--log-level <level>', 'log level (env LOG_LEVEL)', undefined)
    .option('--config <file>', 'objectives file, YAML (env SHEWHART_CONFIG)');
}

export function configFrom(flags: CommonFlags, extra: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig(process.env, {
    ...(flags.data ? { SHEWHART_DATA_DIR: flags.data } : {}),
    ...(flags.logLevel ? { LOG_LEVEL: flags.logLevel as AppConfig['logLevel'] } : {}),
    ...(flags.config ? { SHEWHART_CONFIG: flags.config } : {}),
    ...(extra as object),
  });
}

export function cliLogger(config: AppConfig): Logger {
  return createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
}

/**
 * The API of a running server for this data directory, when there is one: `--url`, or the process that
 * `shewhart start` recorded in the directory. The embedded engine allows one process per directory, so a
 * command run beside `start` must go through it.
 */
export function runningApi(flags: CommonFlags, config: AppConfig): ApiClient | undefined {
  const token = flags.token ?? process.env.SHEWHART_TOKEN;
  if (flags.url) return new ApiClient(flags.url, token);
  if (config.storage.url) return undefined;
  const server = findRunningServer(config.storage.dataDir);
  return server ? new ApiClient(server.url, token) : undefined;
}

/** Opens storage directly (migrated), holding the data directory until closed: the runtime's one way. */
export function openDirect(config: AppConfig): Promise<Storage> {
  return openStorage(config, { logger: cliLogger(config) });
}

/**
 * An ingest endpoint for commands that load events (import, demo): the running server if there is
 * one, otherwise an embedded runtime started just for this command on an ephemeral loopback port, so
 * the events always go through the real ingest path (validation, dedup, durable acknowledgement).
 */
export async function ingestEndpoint(
  flags: CommonFlags,
  config: AppConfig,
  logger: Logger,
): Promise<{ api: ApiClient; close(): Promise<void>; where: string }> {
  const api = runningApi(flags, config);
  if (api) return { api, close: async () => {}, where: api.baseUrl };
  const local: AppConfig = { ...config, http: { ...config.http, host: '127.0.0.1', port: 0 } };
  const runtime = await startEmbedded({ config: local, logger, internalToken: true });
  return {
    api: new ApiClient(runtime.url, runtime.internalToken),
    close: () => runtime.shutdown(),
    where: config.storage.url ?? config.storage.dataDir,
  };
}
