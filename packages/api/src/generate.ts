/**
 * Writes `packages/api/generated/openapi.json` from the routes. `--check` (CI) fails when the committed
 * file differs from what the routes generate.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './openapi.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated', 'openapi.json');
const content = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== content) {
    process.stderr.write(`${file} is out of date (run \`pnpm gen\`)\n`);
    process.exit(1);
  }
  process.stdout.write('packages/api/generated/openapi.json is up to date\n');
} else {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  process.stdout.write(`wrote ${file}\n`);
}
