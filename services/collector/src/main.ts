/**
 * The collector of the scaled deployment: `tsx services/collector/src/main.ts` (or
 * `pnpm --filter @shewhart/collector start`). Configuration from the environment (docs/scaled.md);
 * SIGINT/SIGTERM drain and exit. The embedded all-in-one mode is `pnpm shewhart start`.
 */
import { ConfigError, createLogger, loadConfig } from '@shewhart/config';
import { startScaledCollector } from './scaled.runtime.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
  if (!config.kafka) {
    throw new ConfigError(
      'KAFKA_BROKERS is not set: the scaled collector publishes to Kafka (host:port[,host:port]). ' +
        'For the all-in-one embedded mode without a broker run `pnpm shewhart start`.',
    );
  }
} catch (error) {
  process.stderr.write(`shewhart collector: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const logger = createLogger(config.logLevel, { name: 'shewhart-collector' });
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
  const collector = await startScaledCollector({
    config,
    logger,
    signal: aborted.signal,
    // A stable line for scripts and tests (logs go to stderr); readiness is /readyz.
    onListening: (url) => process.stdout.write(`shewhart collector listening on ${url}\n`),
  });
  shutdown = collector.shutdown;
  if (aborted.signal.aborted) onSignal('SIGTERM');
} catch (error) {
  // A signal during start-up (e.g. while waiting for the broker) is a requested stop, not a failure.
  if (aborted.signal.aborted) process.exit(0);
  logger.fatal({ err: error }, 'collector failed to start');
  process.exit(1);
}
