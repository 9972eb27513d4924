/** `shewhart report --quarter 2026-Q3`: the quarterly review pack (ISO 9001 9.3.2 inputs), kept and written. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  buildReviewPack,
  lastClosedQuarter,
  parseQuarter,
  type ReviewPack,
  renderPackHtml,
  renderPackMarkdown,
  savePack,
} from '@shewhart/report';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { objectiveServiceFor } from '../objectives-config.js';
import { Progress } from '../progress.js';

interface ReportFlags extends CommonFlags {
  quarter?: string;
  team?: string;
  format: string;
  out: string;
}

/** The command as typed (arguments quoted where needed), recorded in the pack's provenance. */
export function commandLine(argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['shewhart', ...argv.map(quote)].join(' ');
}

export function register(program: Command): void {
  addCommonFlags(
    program
      .command('report')
      .description(
        'the quarterly improvement review pack (ISO 9001 9.3.2 inputs): generated, kept and written',
      )
      .option('--quarter <quarter>', 'the quarter reviewed, e.g. 2026-Q3 (default: the last closed one)')
      .option('--team <team>', "one team's pack (default: the organisation's)")
      .option('--format <format>', 'html, md or json', 'html')
      .option('--out <dir>', 'directory to write the pack to', '.'),
  ).action(async (flags: ReportFlags) => {
    if (!['html', 'md', 'json'].includes(flags.format))
      throw new Error(`--format must be html, md or json (got "${flags.format}")`);
    const quarter = parseQuarter(flags.quarter ?? lastClosedQuarter(new Date()).id);
    const command = commandLine(process.argv.slice(2));
    const config = configFrom(flags);
    const api = runningApi(flags, config);
    let pack: ReviewPack;
    if (api) {
      process.stderr.write(`generating the ${quarter.id} pack on ${api.baseUrl}…\n`);
      pack = await api.post<ReviewPack>(
        '/v1/reports',
        { quarter: quarter.id, ...(flags.team ? { team: flags.team } : {}), command },
        'generating the pack',
      );
    } else {
      const storage = await openDirect(config);
      const progress = new Progress(`review pack ${quarter.id}`, 9, 'steps');
      try {
        pack = await buildReviewPack(
          { states: storage.states, objectives: objectiveServiceFor(storage.states, config) },
          {
            quarter: quarter.id,
            team: flags.team ?? null,
            command,
            onProgress: (_s, done) => progress.update(done),
          },
        );
        await savePack(storage.states.client, pack, 'cli');
      } finally {
        progress.stop();
        await storage.close();
      }
    }
    const base = `review-${pack.id.replace(/[^\w.-]/g, '_')}`;
    const out = resolve(flags.out);
    const written: string[] = [];
    const write = (name: string, content: string) => {
      const file = join(out, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      written.push(file);
    };
    if (flags.format === 'json') write(`${base}.json`, `${JSON.stringify(pack, null, 2)}\n`);
    else if (flags.format === 'html') write(`${base}.html`, renderPackHtml(pack));
    else {
      const md = renderPackMarkdown(pack, { chartDir: `${base}-charts` });
      write(`${base}.md`, md.markdown);
      for (const f of md.files) write(f.path, f.content);
    }
    const charts = pack.sections.flatMap((s) => s.blocks).filter((b) => b.kind === 'chart').length;
    const placeholders = pack.sections
      .flatMap((s) => s.blocks)
      .filter((b) => b.kind === 'placeholder').length;
    process.stdout.write(
      `${pack.title}: ${pack.sections.length} sections (9.3.2 a–f), ${charts} charts, ${placeholders} parts for the review to complete; kept as ${pack.id}\n` +
        `wrote ${written[0]}${written.length > 1 ? ` and ${written.length - 1} chart file(s)` : ''}\n`,
    );
  });
}
