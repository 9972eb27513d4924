/**
 * Writes the JSON Schema of every event type into `packages/events/generated` (the OpenAPI document of the
 * HTTP API is generated from its routes: packages/api/src/generate.ts).
 * `--check` (run in CI) fails when the committed files differ from what the schemas generate.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventJsonSchema } from './openapi.js';
import { EVENT_TYPE_NAMES } from './types.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'generated');
const check = process.argv.includes('--check');

const files = new Map<string, string>();
for (const t of EVENT_TYPE_NAMES) {
  files.set(join('schemas', `${t}.json`), `${JSON.stringify(eventJsonSchema(t), null, 2)}\n`);
}

if (check) {
  const stale: string[] = [];
  for (const [rel, content] of files) {
    let current = '';
    try {
      current = readFileSync(join(outDir, rel), 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== content) stale.push(rel);
  }
  const present = safeList(join(outDir, 'schemas')).map((f) => join('schemas', f));
  for (const rel of present) if (!files.has(rel)) stale.push(`${rel} (no longer generated)`);
  if (stale.length > 0) {
    process.stderr.write(`generated files are out of date (run \`pnpm gen\`):\n  ${stale.join('\n  ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`generated files are up to date (${files.size} files)\n`);
} else {
  rmSync(join(outDir, 'schemas'), { recursive: true, force: true });
  for (const [rel, content] of files) {
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    writeFileSync(join(outDir, rel), content);
  }
  process.stdout.write(`wrote ${files.size} files to ${outDir}\n`);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
