/**
 * `pnpm dashboards:build` writes dashboards/generated/<uid>.json from the TypeScript dashboards;
 * `--check` fails when the committed JSON differs (CI, via `gen:check`). Either fails on a dashboard that
 * does not validate (validate.ts).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboards } from './catalogue.js';
import { type DashboardJson, validateDashboard } from './validate.js';

export const GENERATED_DIR = join(dirname(fileURLToPath(import.meta.url)), '../generated');

/** The generated files by name: the JSON Grafana imports, one dashboard per file. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const problems: string[] = [];
  for (const d of buildDashboards()) {
    const json = JSON.parse(JSON.stringify(d)) as DashboardJson;
    // Stable panel ids: links to a panel (viewPanel=) survive a rebuild.
    json.panels?.forEach((p, i) => {
      (p as { id?: number }).id ??= i + 1;
    });
    // The SDK writes the interval variables' auto settings on every variable; Grafana's dashboard schema
    // has them on none (grafana-schema.test.ts), and they mean nothing but on an interval variable.
    for (const v of json.templating?.list ?? []) {
      if (v.type === 'interval') continue;
      const loose = v as unknown as Record<string, unknown>;
      delete loose.auto;
      delete loose.auto_min;
      delete loose.auto_count;
    }
    problems.push(...validateDashboard(json));
    files.set(`${json.uid}.json`, `${JSON.stringify(json, null, 2)}\n`);
  }
  if (problems.length > 0) throw new Error(`invalid dashboards:\n${problems.join('\n')}`);
  return files;
}

function main(check: boolean): number {
  const files = generatedFiles();
  mkdirSync(GENERATED_DIR, { recursive: true });
  const existing = readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.json'));
  if (check) {
    const stale = [
      ...[...files]
        .filter(([f, text]) => !existing.includes(f) || readFileSync(join(GENERATED_DIR, f), 'utf8') !== text)
        .map(([f]) => f),
      ...existing.filter((f) => !files.has(f)),
    ];
    if (stale.length > 0) {
      process.stderr.write(
        `dashboards/generated is stale (${stale.join(', ')}): run pnpm dashboards:build\n`,
      );
      return 1;
    }
    return 0;
  }
  for (const f of existing) if (!files.has(f)) rmSync(join(GENERATED_DIR, f));
  for (const [f, text] of files) writeFileSync(join(GENERATED_DIR, f), text);
  process.stdout.write(`wrote ${files.size} dashboards to dashboards/generated\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.includes('--check'));
}
