import { type AppConfig, ConfigError, createLogger, loadConfig } from '@shewhart/config';
import type { Logger } from 'pino';

export interface ServiceMainOptions {
  /** e.g. `collector`, `worker`: used in messages and as the logger name. */
  name: string;
  /** What the service does with Kafka, for the error when KAFKA_BROKERS is missing. */
  kafkaRole: string;
  start(args: {
    config: AppConfig;
    logger: Logger;
    signal: AbortSignal;
    onListening: (url: string) => void;
  }): Promise<{ shutdown(): Promise<void> }>;
}

/**
 * The process lifecycle shared by the scaled services' entry points: parse configuration once (exit 2
 * naming the key when it is bad), start, print a stable `listening on` line for scripts, and on
 * SIGINT/SIGTERM run the service's ordered shutdown (exit 0, or 1 when it failed). A signal during
 * start-up — e.g. while waiting for the broker — is a requested stop, not a failure.
 */
export async function serviceMain(options: ServiceMainOptions): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
    if (!config.kafka) {
      throw new ConfigError(
        `KAFKA_BROKERS is not set: the ${options.name} ${options.kafkaRole} (host:port[,host:port]). ` +
          'For the all-in-one embedded mode without a broker run `pnpm shewhart start`.',
      );
    }
  } catch (error) {
    process.stderr.write(
      `shewhart ${options.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  }
  const logger = createLogger(config.logLevel, { name: `shewhart-${options.name}` });
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
    const service = await options.start({
      config,
      logger,
      signal: aborted.signal,
      // A stable line for scripts and tests (logs go to stderr); readiness is /readyz.
      onListening: (url) => process.stdout.write(`shewhart ${options.name} listening on ${url}\n`),
    });
    shutdown = service.shutdown;
    if (aborted.signal.aborted) onSignal('SIGTERM');
  } catch (error) {
    if (aborted.signal.aborted) process.exit(0);
    logger.fatal({ err: error }, `${options.name} failed to start`);
    process.exit(1);
  }
}
