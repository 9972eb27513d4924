import { userInfo } from 'node:os';
import {
  type Delivery,
  type ListedAlert,
  listAlerts,
  listDeliveries,
  type RetryResult,
  recordAck,
  retryDeliveries,
} from '@shewhart/alerts';
import type { AppConfig } from '@shewhart/config';
import { requeueOnly, retryLock, type Storage } from '@shewhart/runtime';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom, openDirect, runningApi } from '../context.js';
import { formatNumber, table } from '../format.js';

interface ListFlags extends CommonFlags {
  state?: 'firing' | 'resolved';
  class?: 'signal' | 'objective' | 'data_quality';
  kpi?: string;
  team?: string;
  format: 'table' | 'json';
}

/** Runs `api` against a running server, or `direct` on the data directory (opened and closed here). */
async function withSource<T>(
  flags: CommonFlags,
  api: (client: NonNullable<ReturnType<typeof runningApi>>) => Promise<T>,
  direct: (
    client: Awaited<ReturnType<typeof openDirect>>['warehouse']['client'],
    config: AppConfig,
    storage: Storage,
  ) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags);
  const server = runningApi(flags, config);
  if (server) return api(server);
  const storage = await openDirect(config);
  try {
    return await direct(storage.warehouse.client, config, storage);
  } finally {
    await storage.close();
  }
}

const scope = (a: ListedAlert) =>
  a.source ? `source ${a.source}` : a.team ? `${a.team}${a.project ? `/${a.project}` : ''}` : 'org';

function alertTable(alerts: readonly ListedAlert[]): string {
  return table(
    [
      'id',
      'state',
      'severity',
      'class',
      'kind',
      'kpi',
      'scope',
      'period',
      'value',
      'started',
      'ack',
      'title',
    ],
    alerts.map((a) => [
      a.alertId,
      a.state,
      a.severity,
      a.class,
      a.kind,
      a.kpi || '-',
      scope(a),
      a.periodStart ?? '-',
      formatNumber(a.value),
      a.startedAt.slice(0, 16).replace('T', ' '),
      a.acknowledged ? a.acknowledged.by : '',
      a.title,
    ]),
  );
}

function deliveryTable(deliveries: readonly Delivery[]): string {
  return table(
    [
      'delivery',
      'alert',
      'transition',
      'route',
      'state',
      'attempts',
      're-sent',
      'status',
      'updated',
      'last error',
    ],
    deliveries.map((d) => [
      d.deliveryId,
      d.alertId,
      d.transition,
      d.routeId,
      d.state,
      String(d.attempts),
      d.retries ? String(d.retries) : '',
      d.lastStatus ? String(d.lastStatus) : '-',
      d.updatedAt.slice(0, 19).replace('T', ' '),
      d.lastError,
    ]),
  );
}

export function register(program: Command): void {
  const alerts = addCommonFlags(
    program
      .command('alerts')
      .description('alerts (special causes, objective misses, data quality): list, acknowledge, deliveries')
      // The subcommands repeat the list's flags (--url, --format, …): each command parses its own, so
      // `alerts deliveries --url U` reaches `deliveries` instead of being taken by `alerts`.
      .enablePositionalOptions()
      .option('--state <state>', 'firing or resolved')
      .option('--class <class>', 'signal, objective or data_quality')
      .option('--kpi <id>', 'only this KPI')
      .option('--team <team>', 'only this team')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: ListFlags) => {
    const filter = { state: flags.state, class: flags.class, kpi: flags.kpi, team: flags.team };
    const list = await withSource(
      flags,
      async (api) => (await api.get<{ alerts: ListedAlert[] }>('/v1/alerts', filter)).alerts,
      (client) => listAlerts(client, filter),
    );
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify({ alerts: list }, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      list.length === 0
        ? 'no alerts (rules are configured in the alerts section of SHEWHART_CONFIG; see docs/alerts.md)\n'
        : alertTable(list),
    );
  });

  addCommonFlags(
    alerts
      .command('ack <id>')
      .description('acknowledge an alert: a firing message not yet sent is then not sent')
      .requiredOption('--by <name>', 'who acknowledges')
      .requiredOption('--note <text>', 'why (what is being done about it)'),
  ).action(async (id: string, flags: CommonFlags & { by: string; note: string }) => {
    const alert = await withSource(
      flags,
      async (api) =>
        (
          await api.post<{ alert: ListedAlert }>(
            `/v1/alerts/${encodeURIComponent(id)}/ack`,
            { by: flags.by, note: flags.note },
            'acknowledgement',
          )
        ).alert,
      async (client) => {
        const [found] = await listAlerts(client, { ids: [id] });
        if (!found) throw new Error(`no alert ${id} (shewhart alerts lists them)`);
        await recordAck(client, { alertId: id, by: flags.by, note: flags.note });
        const [acked] = await listAlerts(client, { ids: [id] });
        return acked as ListedAlert;
      },
    );
    process.stdout.write(`acknowledged ${alert.alertId} by ${flags.by}: ${alert.title}\n`);
  });

  const deliveries = addCommonFlags(
    alerts
      .command('deliveries')
      .enablePositionalOptions()
      .description('alert deliveries, one per transition and route (pending, delivered, failed, cancelled)')
      .option('--failed', 'only deliveries that exhausted their attempts')
      .option('--format <format>', 'table or json', 'table'),
  ).action(async (flags: CommonFlags & { failed?: boolean; format: 'table' | 'json' }) => {
    const state = flags.failed ? ('failed' as const) : undefined;
    const list = await withSource(
      flags,
      async (api) =>
        (await api.get<{ deliveries: Delivery[] }>('/v1/alerts/deliveries', { state })).deliveries,
      (client) => listDeliveries(client, { state, withBody: false }),
    );
    if (flags.format === 'json') {
      process.stdout.write(`${JSON.stringify({ deliveries: list }, null, 2)}\n`);
      return;
    }
    process.stdout.write(list.length === 0 ? 'no deliveries\n' : deliveryTable(list));
    if (flags.failed && list.length > 0) process.exitCode = 1;
  });

  addCommonFlags(
    deliveries
      .command('retry [id]')
      .description(
        're-send a failed delivery (or --all-failed) once its receiver is fixed: same delivery id, a new round of attempts',
      )
      .option('--all-failed', 'every delivery that exhausted its attempts')
      .option('--by <name>', 'who asks for the re-send (kept with it; default: your user name)'),
  ).action(async (id: string | undefined, flags: CommonFlags & { allFailed?: boolean; by?: string }) => {
    if ((id === undefined) === !flags.allFailed)
      throw new Error(
        'name one delivery id or --all-failed (shewhart alerts deliveries --failed lists them)',
      );
    const by = flags.by ?? defaultBy();
    const result = await withSource(
      flags,
      (api) =>
        api.post<RetryResult>(
          id ? `/v1/alerts/deliveries/${encodeURIComponent(id)}/retry` : '/v1/alerts/deliveries/retry-failed',
          { by },
          're-send',
        ),
      async (client, config, storage) => {
        // No server runs on this directory: BullMQ takes the re-send when the deployment uses it;
        // otherwise the row waits, pending, for the next start (which resumes pending deliveries).
        const queue = requeueOnly(config, storage, { hasAlerts: true });
        // Without a queue, re-sends still take turns with the servers' under the shared lock.
        const lock = queue ? undefined : retryLock(config);
        try {
          return await retryDeliveries(
            { client, queue, ...(lock ? { lock } : {}) },
            id ? { ids: [id] } : { allFailed: true },
            by,
          );
        } finally {
          await queue?.close();
          await lock?.close();
        }
      },
    );
    process.stdout.write(retrySummary(result));
  });
}

/**
 * Who asks, when `--by` is not given: the user name, `$USER` where the OS has none (a container whose
 * UID has no passwd entry, where `os.userInfo()` throws), else `cli`.
 */
export function defaultBy(
  userName: () => string = () => userInfo().username,
  env: NodeJS.ProcessEnv = process.env,
): string {
  try {
    const name = userName();
    if (name) return name;
  } catch {
    // No passwd entry for this UID.
  }
  return env.USER || 'cli';
}

function retrySummary(r: RetryResult): string {
  const n = r.retried.length;
  if (n === 0) return 'no failed deliveries: nothing to re-send\n';
  const lines = r.retried.map(
    (d) =>
      `  ${d.deliveryId}  ${d.transition.padEnd(8)} route ${d.routeId}  (${d.attempts} attempts so far, re-send ${d.retries ?? 1})\n`,
  );
  const where =
    r.queue === 'bullmq'
      ? 'queued in BullMQ: the workers send them'
      : r.queue === 'inline'
        ? 'the running server sends them now'
        : 'pending: `shewhart start` (or a worker) sends them when it starts';
  return [
    `re-sent ${n} failed ${n === 1 ? 'delivery' : 'deliveries'} under the same delivery id, a new round of the route's attempts each; ${where}\n`,
    ...lines,
    'follow them with: shewhart alerts deliveries\n',
  ].join('');
}
