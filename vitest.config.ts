import { defineConfig } from 'vitest/config';

// Every test file runs in its own forked process: the embedded ClickHouse engine (chdb) binds one
// data directory per process, and each file gets its own temporary directory.
export default defineConfig({
  test: {
    pool: 'forks',
    // Starts the Kafka broker only when a selected file is *.kafka.int.test.ts (see the file).
    globalSetup: ['test/setup/kafka.global-setup.ts'],
    include: [
      'packages/*/src/**/*.test.ts',
      'dashboards/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    // The JSON report lets .ci/run print one plain "N passed, N failed" closing line.
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-report.json' },
    maxWorkers: 2,
  },
});
