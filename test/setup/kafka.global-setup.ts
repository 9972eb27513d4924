/**
 * vitest globalSetup: makes sure a Kafka broker is reachable for the `*.kafka.int.test.ts` files and
 * hands its address to them (`inject('kafkaBrokers')`, see kafka.ts).
 *
 * - KAFKA_BROKERS set (CI service, a broker of your own): used as is, never started or stopped here.
 * - Otherwise the repository's broker (infra/kafka/kafka.sh) is started, lazily: only when the run
 *   selects at least one `*.kafka.int.test.ts` file, so unit-test runs stay free of a JVM. The run
 *   takes a lease on the broker (`kafka.sh acquire <pid>`) and drops it at teardown; the broker is
 *   stopped when the last lease is gone and only if a test run started it. A broker you started by
 *   hand, or one another engineer's test run is still using, keeps running.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated host:port list, or null when no selected test file needs Kafka. */
    kafkaBrokers: string | null;
  }
}

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const kafkaSh = resolve(root, 'infra/kafka/kafka.sh');
export const KAFKA_TEST_FILE = /\.kafka\.int\.test\.ts$/;

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: vitest runs outside turbo (`turbo run check && vitest run`).
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    project.provide('kafkaBrokers', external);
    return undefined;
  }
  if (!(await selectsKafkaTests(project))) {
    project.provide('kafkaBrokers', null);
    return undefined;
  }
  const owner = String(process.pid);
  const started = Date.now();
  const { stdout } = await runKafkaSh(['acquire', owner]);
  const address = stdout.trim().split('\n').pop() ?? '';
  if (!/^[^\s:]+:\d+$/.test(address))
    throw new Error(`kafka.sh acquire printed no broker address: '${stdout}'`);
  process.stderr.write(`[kafka] broker ${address} ready in ${Date.now() - started} ms\n`);
  project.provide('kafkaBrokers', address);
  return async () => {
    await runKafkaSh(['release', owner]);
  };
}

/** CLI file filters are only known to vitest internally; without them every test file is selected. */
async function selectsKafkaTests(project: TestProject): Promise<boolean> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  return testFiles.some((file) => KAFKA_TEST_FILE.test(file));
}

async function runKafkaSh(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    // Generous: a cold start fetches ~45 MB of jars with Maven before the broker boots.
    return await run(kafkaSh, args, { cwd: root, timeout: 300_000, maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`infra/kafka/kafka.sh ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
  }
}
