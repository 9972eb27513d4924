/**
 * The collector of the scaled deployment: `node --import tsx services/collector/src/main.ts` (or
 * `pnpm --filter @shewhart/collector start`). Configuration from the environment (docs/scaled.md);
 * SIGINT/SIGTERM drain and exit. The embedded all-in-one mode is `pnpm shewhart start`.
 */
import { serviceMain, startScaledCollector } from '@shewhart/runtime';

await serviceMain({ name: 'collector', kafkaRole: 'publishes to Kafka', start: startScaledCollector });
