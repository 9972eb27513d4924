/**
 * The scaled worker: `tsx services/worker/src/main.ts` (or `pnpm --filter @shewhart/worker start`).
 * Configuration from the environment (docs/scaled.md); SIGINT/SIGTERM drain and exit.
 */
import { ConfigError, createLogger, loadConfig } from '@shewhart/config';
import { startWorker } from './worker.runtime.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
  if (!config.kafka) {
    throw new ConfigError(
      'KAFKA_BROKERS is not set: the worker consumes from Kafka (host:port[,host:port]). ' +
        'For the all-in-one embedded mode without a broker run `pnpm shewhart start`.',
    );
  }
} catch (error) {
  process.stderr.write(`shewhart worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const logger = createLogger(config.logLevel, { name: 'shewhart-worker' });
const aborted = new AbortController();
let shutdown: (() => Promise<void>) | undefined;
const onSignal = (signal: NodeJS.Signals) => {
  logger.info({ signal }, 'shutting down');
  aborted.abort();
  if (!shutdown) return; // still starting: the start-up sees the abort and fails
  shutdown().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

try {
  const runtime = await startWorker({
    config,
    logger,
    signal: aborted.signal,
    // A stable line for scripts and tests (logs go to stderr); readiness is /readyz.
    onListening: (url) => process.stdout.write(`shewhart worker listening on ${url}\n`),
  });
  shutdown = runtime.shutdown;
  if (aborted.signal.aborted) onSignal('SIGTERM');
} catch (error) {
  // A signal during start-up (e.g. while waiting for the broker) is a requested stop, not a failure.
  if (aborted.signal.aborted) process.exit(0);
  logger.fatal({ err: error }, 'worker failed to start');
  process.exit(1);
}
