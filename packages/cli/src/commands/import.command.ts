import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, cliLogger, configFrom, ingestEndpoint } from '../context.js';
import { type ImportSummary, importSource, type Problem } from '../import/importer.js';
import { detectFormat, openSource } from '../import/readers.js';

interface ImportFlags extends CommonFlags {
  format?: string;
  strict?: boolean;
  batchSize: string;
  maxErrors: string;
}

export function register(program: Command): void {
  addCommonFlags(
    program
      .command('import')
      .argument('<files...>', 'NDJSON, JSON array or CSV files ("-" reads NDJSON from stdin)')
      .description(
        'import events into the store through the ingest path: streaming, idempotent (re-importing stores nothing twice); ' +
          'invalid records are reported with their line and skipped unless --strict',
      )
      .option('--format <format>', 'ndjson | json | csv (default: by extension, then by content)')
      .option('--strict', 'validate every file first and import nothing if any record is invalid')
      .option('--batch-size <n>', 'events per request', '5000')
      .option('--max-errors <n>', 'invalid records to print in full (the rest are counted)', '50')
      .addHelpText(
        'after',
        '\nCSV columns: id, source, type, time, team, project, and data.<field> for the payload\n' +
          '(e.g. data.defectId, data.severity; dotted paths nest, JSON cells for arrays).\n' +
          'Exit status: 0 all imported, 2 finished with invalid records skipped, 1 error.',
      ),
  ).action(async (files: string[], flags: ImportFlags) => {
    const batchSize = Number(flags.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error('--batch-size must be a positive integer');
    if (flags.strict && files.includes('-'))
      throw new Error('--strict needs files (stdin cannot be read twice)');
    const maxErrors = Number(flags.maxErrors);
    let printed = 0;
    const onProblem = (p: Problem) => {
      if (printed++ < maxErrors) process.stderr.write(`invalid ${p.where}: ${p.message}\n`);
    };
    const sources = await Promise.all(
      files.map(async (f) => openSource(f, await detectFormat(f, flags.format))),
    );

    if (flags.strict) {
      let invalid = 0;
      for (const source of sources)
        invalid += (await importSource(source, undefined, { batchSize, onProblem })).invalid;
      if (invalid > 0) {
        process.stderr.write(`--strict: ${invalid} invalid records; nothing was imported\n`);
        process.exitCode = 1;
        return;
      }
    }

    const config = configFrom(flags);
    const endpoint = await ingestEndpoint(flags, config, cliLogger(config));
    const summaries: ImportSummary[] = [];
    try {
      for (const source of sources)
        summaries.push(await importSource(source, endpoint.api, { batchSize, onProblem }));
    } finally {
      await endpoint.close();
    }
    for (const s of summaries) {
      process.stdout.write(
        `${s.source}: ${s.records} records, ${s.valid} valid (${s.accepted - s.duplicates} new, ${s.duplicates} duplicates), ` +
          `${s.invalid} invalid, ${s.seconds.toFixed(1)} s (${Math.round(s.valid / Math.max(s.seconds, 0.001))} events/s)\n`,
      );
    }
    const invalid = summaries.reduce((n, s) => n + s.invalid, 0);
    if (printed > maxErrors)
      process.stderr.write(`(${printed - maxErrors} more invalid records not shown)\n`);
    process.stdout.write(`stored in ${endpoint.where}\n`);
    if (invalid > 0) process.exitCode = 2;
  });
}
