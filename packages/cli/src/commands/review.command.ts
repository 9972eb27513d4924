/** `shewhart review action add|update|list`: the outputs of a management review (ISO 9001 9.3.3). */
import {
  ACTION_KINDS,
  ACTION_STATUSES,
  ActionUpdate,
  addAction,
  listActions,
  NewAction,
  type ReviewAction,
  updateAction,
} from '@shewhart/report';
import type { Command } from 'commander';
import type { ApiClient } from '../api-client.js';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { table } from '../format.js';

interface ActionFlags extends CommonFlags {
  quarter?: string;
  team?: string;
  kind?: string;
  title?: string;
  owner?: string;
  due?: string;
  status?: string;
  note?: string;
  by?: string;
  format?: string;
}

/** Runs against the running server when there is one, else on the data directory directly. */
async function withStore<T>(
  flags: CommonFlags,
  viaApi: (api: ApiClient, token: string | undefined) => Promise<T>,
  direct: (client: import('@clickhouse/client').ClickHouseClient) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags);
  const api = runningApi(flags, config);
  if (api) return viaApi(api, flags.token ?? process.env.SHEWHART_TOKEN);
  const storage = await openDirect(config);
  try {
    return await direct(storage.states.client);
  } finally {
    await storage.close();
  }
}

/** Zod's first problem as a CLI error naming the flag. */
function parse<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new Error(r.error.issues.map((i) => `--${String(i.path[0] ?? 'input')}: ${i.message}`).join('; '));
}

function print(actions: readonly ReviewAction[], format: string | undefined): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ actions }, null, 2)}\n`);
    return;
  }
  if (actions.length === 0) {
    process.stdout.write('no review actions\n');
    return;
  }
  process.stdout.write(
    table(
      ['id', 'review', 'kind', 'title', 'owner', 'due', 'status'],
      actions.map((a) => [a.id, a.packId, a.kind, a.title, a.owner, a.due ?? '', a.status]),
    ),
  );
}

export function register(program: Command): void {
  const review = program.command('review').description('management review outputs (ISO 9001 9.3.3)');
  const action = review.command('action').description('decisions and actions of a review: add, update, list');

  addCommonFlags(
    action
      .command('add')
      .description('record a decision or action against the review of a quarter')
      .requiredOption('--quarter <quarter>', 'the review it was decided at, e.g. 2026-Q3')
      .option('--team <team>', "a team's review (default: the organisation's)")
      .requiredOption('--kind <kind>', ACTION_KINDS.join(' | '))
      .requiredOption('--title <text>', 'what is to be done')
      .requiredOption('--owner <name>', 'who owns it')
      .option('--due <date>', 'due date, YYYY-MM-DD')
      .option('--status <status>', ACTION_STATUSES.join(' | '), 'open')
      .option('--note <text>', 'a note')
      .option('--by <name>', 'who records it', process.env.USER ?? 'cli')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: ActionFlags) => {
    const input = parse(NewAction, {
      quarter: flags.quarter,
      ...(flags.team ? { team: flags.team } : {}),
      kind: flags.kind,
      title: flags.title,
      owner: flags.owner,
      ...(flags.due ? { due: flags.due } : {}),
      status: flags.status,
      ...(flags.note ? { note: flags.note } : {}),
      recordedBy: flags.by,
    });
    const a = await withStore(
      flags,
      (api) => api.post<ReviewAction>('/v1/review-actions', input, 'recording the action'),
      (client) => addAction(client, input),
    );
    print([a], flags.format);
  });

  addCommonFlags(
    action
      .command('update <id>')
      .description('change an action: status, owner, due date, title or note (kept as a new revision)')
      .option('--status <status>', ACTION_STATUSES.join(' | '))
      .option('--owner <name>', 'new owner')
      .option('--due <date>', 'new due date, YYYY-MM-DD')
      .option('--title <text>', 'new title')
      .option('--note <text>', 'a note')
      .option('--by <name>', 'who records the change', process.env.USER ?? 'cli')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (id: string, flags: ActionFlags) => {
    const input = parse(ActionUpdate, {
      ...(flags.status ? { status: flags.status } : {}),
      ...(flags.owner ? { owner: flags.owner } : {}),
      ...(flags.due ? { due: flags.due } : {}),
      ...(flags.title ? { title: flags.title } : {}),
      ...(flags.note !== undefined ? { note: flags.note } : {}),
      recordedBy: flags.by,
    });
    const a = await withStore(
      flags,
      async (api, token) => {
        const res = await fetch(`${api.baseUrl}/v1/review-actions/${encodeURIComponent(id)}`, {
          method: 'PATCH',
          headers: {
            'content-type': 'application/json',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(input),
        });
        const json = (await res.json()) as ReviewAction & { message?: string };
        if (!res.ok) throw new Error(`updating ${id} refused (${res.status}): ${json.message}`);
        return json;
      },
      (client) => updateAction(client, id, input),
    );
    print([a], flags.format);
  });

  addCommonFlags(
    action
      .command('list')
      .description('the actions of one review, or of every review, with their current status')
      .option('--quarter <quarter>', 'the review (quarter) they were recorded at')
      .option('--team <team>', "a team's review")
      .option('--status <status>', ACTION_STATUSES.join(' | '))
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: ActionFlags) => {
    const actions = await withStore(
      flags,
      async (api) =>
        (
          await api.get<{ actions: ReviewAction[] }>('/v1/review-actions', {
            quarter: flags.quarter,
            team: flags.team,
            status: flags.status,
          })
        ).actions,
      (client) =>
        listActions(client, {
          ...(flags.quarter ? { packId: flags.team ? `${flags.quarter}.${flags.team}` : flags.quarter } : {}),
          ...(flags.team !== undefined || flags.quarter ? { team: flags.team ?? null } : {}),
          ...(flags.status ? { status: flags.status } : {}),
        }),
    );
    print(actions, flags.format);
  });
}
