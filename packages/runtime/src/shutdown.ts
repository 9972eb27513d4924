import type { Logger } from 'pino';

export interface ShutdownStep {
  /** Named in the log when the step fails or the deadline passes while it runs. */
  name: string;
  run(): Promise<unknown> | unknown;
}

/**
 * One ordered shutdown under one deadline, for every runtime: not ready → stop accepting → stop
 * consumers → flush writers → close clients. Each step runs after the previous one settled; a failed step
 * is logged and the rest still run (clients are closed even when a flush failed — what was not flushed was
 * never acknowledged). Past `deadlineMs` the process exits with status 1: anything not yet acknowledged
 * is retried by its sender (HTTP clients, Kafka redelivery). Calling it again returns the same promise.
 */
export function orderedShutdown(
  steps: readonly ShutdownStep[],
  options: { deadlineMs: number; logger: Logger },
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      let current = 'starting';
      const deadline = setTimeout(() => {
        options.logger.error(
          { step: current, deadlineMs: options.deadlineMs },
          'shutdown deadline exceeded; exiting',
        );
        process.exit(1);
      }, options.deadlineMs);
      deadline.unref();
      let failed: unknown;
      for (const step of steps) {
        current = step.name;
        try {
          await step.run();
        } catch (error) {
          failed ??= error;
          options.logger.error({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(deadline);
      if (failed) throw failed;
    })();
    return closing;
  };
}
