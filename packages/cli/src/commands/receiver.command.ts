import {
  DEMO_KEY_ENV,
  demoKeyPath,
  type ReceivedMessage,
  readDemoKey,
  startReceiver,
} from '@shewhart/alerts';
import { onStopRequest } from '@shewhart/runtime';
import type { Command } from 'commander';
import { addCommonFlags, type CommonFlags, configFrom } from '../context.js';

interface ReceiverFlags extends CommonFlags {
  port: string;
  host: string;
  secretEnv: string;
}

const clock = (d: Date) => d.toISOString().slice(11, 19);

function describe(m: ReceivedMessage, status: number): string {
  const id = m.deliveryId || '(no delivery id)';
  if (m.signatureOk === false) return `${clock(m.at)}  BAD SIGNATURE  refused (401)  delivery ${id}`;
  if (m.body === null) return `${clock(m.at)}  not JSON  refused (${status})  delivery ${id}`;
  if (m.repeat) return `${clock(m.at)}  repeat of delivery ${id} (already received; dropped)`;
  const b = m.body as {
    status?: string;
    severity?: string;
    class?: string;
    evidence?: { title?: string };
    chartUrl?: string | null;
  };
  return [
    `${clock(m.at)}  ${m.signatureOk ? 'signed' : 'unsigned'}  ${b.status ?? '?'}  [${b.severity ?? '?'}] ${b.class ?? '?'}: ${b.evidence?.title ?? ''}`,
    `          delivery ${id}${b.chartUrl ? `  chart ${b.chartUrl}` : ''}`,
  ].join('\n');
}

/**
 * `shewhart receiver`: a webhook receiver that prints the alerts it gets, checks their signatures and
 * drops repeats — the other end of the demo's alert route (http://127.0.0.1:9000/hooks/quality), and a
 * working example of what docs/alerts.md asks of a receiver.
 */
export function register(program: Command): void {
  addCommonFlags(
    program
      .command('receiver')
      .description('receive alert webhooks on 127.0.0.1:9000, check signatures, print them (Ctrl-C to stop)')
      .option('--port <port>', 'port to listen on', '9000')
      .option('--host <host>', 'interface to listen on', '127.0.0.1')
      .option(
        '--secret-env <name>',
        "variable holding the route's signing key (the demo's key file in --data when unset)",
        DEMO_KEY_ENV,
      ),
  ).action(async (flags: ReceiverFlags) => {
    const config = configFrom(flags);
    const fromEnv = process.env[flags.secretEnv]?.trim();
    const secret = fromEnv || readDemoKey(config.storage.dataDir);
    if (!secret) {
      throw new Error(
        `no signing key: set ${flags.secretEnv} to the route's key, or start the demo first ` +
          `(\`shewhart start --demo\` creates ${demoKeyPath(config.storage.dataDir)}; pass the same --data)`,
      );
    }
    const receiver = await startReceiver({
      host: flags.host,
      port: Number(flags.port),
      secret,
      onMessage: (m, status) => process.stdout.write(`${describe(m, status)}\n`),
    });
    process.stdout.write(
      `shewhart receiver listening on ${receiver.url} (key from ${
        fromEnv ? flags.secretEnv : demoKeyPath(config.storage.dataDir)
      }); Ctrl-C to stop\n`,
    );
    onStopRequest(() => {
      const accepted = receiver.messages.filter((m) => m.signatureOk && !m.repeat && m.body !== null);
      process.stdout.write(
        `\n${receiver.messages.length} requests, ${accepted.length} alerts accepted, ` +
          `${receiver.messages.filter((m) => m.repeat).length} repeats dropped, ` +
          `${receiver.messages.filter((m) => m.signatureOk === false).length} refused\n`,
      );
      void receiver.close().then(() => process.exit(0));
    });
  });
}
