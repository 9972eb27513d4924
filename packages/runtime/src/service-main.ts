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

/** What ends a process the way a supervisor means it: a signal, or the death of the parent that started it. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `stop` once when the process is asked to end: on SIGINT, SIGTERM or SIGHUP, or when the process
 * that started it dies. The last covers wrappers that do not forward signals: `pnpm shewhart start` is
 * pnpm → node, and a SIGTERM sent to pnpm alone (what a container runtime or systemd sends to the main
 * process) ends pnpm and would leave this process running orphaned. An orphan is re-parented (its
 * `process.ppid` changes, to 1 or to a subreaper), which is checked every `parentCheckMs`.
 * Returns a function that removes the handlers.
 */
export function onStopRequest(
  stop: (reason: string) => void,
  options: { parentCheckMs?: number } = {},
): () => void {
  let requested = false;
  const once = (reason: string) => {
    if (requested) return;
    requested = true;
    stop(reason);
  };
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => once(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) once('parent exited');
  }, options.parentCheckMs ?? 500);
  watch.unref();
  // With the parent gone, a pipe it read our output from may be closed: a failed write must not end
  // the process before its shutdown has run.
  const ignore = () => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  return () => {
    clearInterval(watch);
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}

/**
 * Stops a started runtime when the process is asked to end (`onStopRequest`): its ordered shutdown, then
 * exit 0, or 1 when the shutdown failed (the shutdown's own deadline exits 1 too).
 */
export function shutdownOnStopRequest(logger: Logger, shutdown: () => Promise<void>): () => void {
  return onStopRequest((reason) => {
    logger.info({ reason }, 'shutting down: draining requests and flushing storage');
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

/**
 * The process lifecycle shared by the scaled services' entry points: parse configuration once (exit 2
 * naming the key when it is bad), start, print a stable `listening on` line for scripts, and on
 * SIGINT/SIGTERM/SIGHUP or the parent's death (`onStopRequest`) run the service's ordered shutdown (exit 0, or 1 when it failed). A signal during
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
  const onStop = (reason: string) => {
    logger.info({ reason }, 'shutting down');
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
  onStopRequest(onStop);
  try {
    const service = await options.start({
      config,
      logger,
      signal: aborted.signal,
      // A stable line for scripts and tests (logs go to stderr); readiness is /readyz.
      onListening: (url) => process.stdout.write(`shewhart ${options.name} listening on ${url}\n`),
    });
    shutdown = service.shutdown;
    if (aborted.signal.aborted) onStop('stop requested while starting');
  } catch (error) {
    if (aborted.signal.aborted) process.exit(0);
    logger.fatal({ err: error }, `${options.name} failed to start`);
    process.exit(1);
  }
}
