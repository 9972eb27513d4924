/**
 * `pnpm bench <name> [args...]` runs packages/bench/src/<name>.bench.ts. Each benchmark prints
 * throughput, latency percentiles and memory; none of them asserts timings.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || !available.includes(name)) {
  process.stderr.write(
    `usage: pnpm bench <name> [options]\n\nbenchmarks: ${available.join(', ') || '(none)'}\n` +
      'Run `pnpm bench <name> --help` for the options of one benchmark.\n',
  );
  process.exit(name && name !== '--help' && name !== '-h' ? 2 : 0);
}
const module = (await import(`./${name}.bench.ts`)) as { run: (args: string[]) => Promise<void> };
await module.run(args);
