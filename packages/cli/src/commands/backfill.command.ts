import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfigFile, readSecret } from '@shewhart/config';
import {
  type BackfillCursor,
  backfillGithub,
  backfillGitlab,
  GithubSource,
  GitlabSource,
  githubClient,
  gitlabClient,
  newCursor,
  SOURCES_SECTION,
} from '@shewhart/connectors';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, cliLogger, configFrom, ingestEndpoint } from '../context.js';

interface BackfillFlags extends CommonFlags {
  repo?: string;
  project?: string;
  since: string;
  cursor?: string;
  restart?: boolean;
}

/**
 * `shewhart backfill github --repo owner/name --since DATE` (and `gitlab --project group/name`): the
 * history a webhook never saw, read from the tool's REST API and mapped exactly as webhooks are, so a
 * fact seen both ways is stored once. Resumable: the cursor is saved after every acknowledged page.
 */
export function register(program: Command): void {
  addCommonFlags(
    program
      .command('backfill')
      .argument('<tool>', 'github | gitlab')
      .description(
        'read issues, pull/merge requests, deployments and releases from the GitHub or GitLab REST API through the ' +
          'webhook mappings (sources section of --config); resumable, rate-limit aware, idempotent',
      )
      .option('--repo <owner/name>', 'GitHub repository')
      .option('--project <group/name>', 'GitLab project path')
      .requiredOption('--since <date>', 'oldest change to read (YYYY-MM-DD or RFC 3339)')
      .option('--cursor <file>', 'where progress is kept (default: <data>/backfill/<tool>-<repo>.json)')
      .option('--restart', 'ignore a saved cursor and start from --since'),
  ).action(async (tool: string, flags: BackfillFlags) => {
    if (tool !== 'github' && tool !== 'gitlab') throw new Error('the tool must be github or gitlab');
    const target = tool === 'github' ? flags.repo : flags.project;
    if (!target || !/^[^/\s]+(\/[^/\s]+)+$/.test(target)) {
      throw new Error(
        tool === 'github' ? '--repo owner/name is required' : '--project group/name is required',
      );
    }
    const sinceDate = new Date(
      /^\d{4}-\d{2}-\d{2}$/.test(flags.since) ? `${flags.since}T00:00:00Z` : flags.since,
    );
    if (Number.isNaN(sinceDate.getTime())) throw new Error(`--since: not a date: ${flags.since}`);
    const since = sinceDate.toISOString();

    const config = configFrom(flags);
    const file = config.objectivesFile
      ? loadConfigFile(config.objectivesFile, { sources: SOURCES_SECTION })
      : undefined;
    const sources = file?.sources;
    const defaultTeam = sources?.defaultTeam ?? 'unassigned';
    const cursorFile =
      flags.cursor ??
      join(config.storage.dataDir, 'backfill', `${tool}-${target.replace(/[^A-Za-z0-9._-]+/g, '--')}.json`);
    let cursor = newCursor(tool, target, since);
    if (!flags.restart && existsSync(cursorFile)) {
      const saved = JSON.parse(readFileSync(cursorFile, 'utf8')) as BackfillCursor;
      if (saved.since === since && saved.target === target && saved.phase < 5) {
        cursor = saved;
        process.stderr.write(`resuming ${target} from ${cursorFile} (phase ${saved.phase + 1})\n`);
      }
    }
    const saveCursor = (c: BackfillCursor) => {
      mkdirSync(dirname(cursorFile), { recursive: true });
      // Written whole then renamed: a crash mid-write leaves the previous cursor, never half of one.
      writeFileSync(`${cursorFile}.tmp`, JSON.stringify(c, null, 2));
      renameSync(`${cursorFile}.tmp`, cursorFile);
    };
    const onWait = (seconds: number, why: string) =>
      process.stderr.write(`${target}: ${why}; waiting ${seconds} s\n`);
    const endpoint = await ingestEndpoint(flags, config, cliLogger(config));
    const io = {
      saveCursor,
      progress: (line: string) => process.stderr.write(`${line}\n`),
      publish: async (events: unknown[]) => {
        const r = await endpoint.api.ingest(events);
        if (r.status !== 202) {
          throw new Error(
            `the collector refused a page (${r.status}): ${r.message ?? JSON.stringify(r.errors?.slice(0, 3))}`,
          );
        }
        return { accepted: r.accepted ?? 0, duplicates: r.duplicates ?? 0 };
      },
    };
    const started = Date.now();
    try {
      if (tool === 'github') {
        const gh = sources?.github ?? GithubSource.parse({ secretEnv: 'SHEWHART_GITHUB_SECRET' });
        const token = gh.apiTokenEnv ? readSecret(gh.apiTokenEnv)?.reveal() : undefined;
        const client = githubClient(gh, token, { onWait });
        cursor = await backfillGithub({ client, repo: target, config: gh, defaultTeam, cursor, io });
      } else {
        const gl = sources?.gitlab ?? GitlabSource.parse({ tokenEnv: 'SHEWHART_GITLAB_TOKEN' });
        const token = gl.apiTokenEnv ? readSecret(gl.apiTokenEnv)?.reveal() : undefined;
        const client = gitlabClient(gl, token, { onWait });
        cursor = await backfillGitlab({ client, project: target, config: gl, defaultTeam, cursor, io });
      }
    } catch (error) {
      process.stderr.write(
        `stopped: ${(error as Error).message}\nprogress is saved in ${cursorFile}; run the same command again to resume\n`,
      );
      process.exitCode = 1;
      return;
    } finally {
      await endpoint.close();
    }
    const t = cursor.totals;
    process.stdout.write(
      `${target}: ${t.items} items read, ${t.events} events (${t.accepted} new, ${t.duplicates} duplicates), ` +
        `${t.ignored} ignored, ${((Date.now() - started) / 1000).toFixed(1)} s; stored in ${endpoint.where}\n`,
    );
  });
}
