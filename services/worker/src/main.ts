/**
 * The scaled worker: `tsx services/worker/src/main.ts` (or `pnpm --filter @shewhart/worker start`).
 * Configuration from the environment (docs/scaled.md); SIGINT/SIGTERM drain and exit.
 */
import { serviceMain } from '@shewhart/config';
import { startWorker } from './worker.runtime.js';

await serviceMain({ name: 'worker', kafkaRole: 'consumes from Kafka', start: startWorker });
