/**
 * The scaled worker: `node --import tsx services/worker/src/main.ts` (or
 * `pnpm --filter @shewhart/worker start`). Configuration from the environment (docs/scaled.md);
 * SIGINT/SIGTERM drain and exit.
 */
import { serviceMain, startWorker } from '@shewhart/runtime';

await serviceMain({ name: 'worker', kafkaRole: 'consumes from Kafka', start: startWorker });
