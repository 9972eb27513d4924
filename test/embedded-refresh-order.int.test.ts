import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Receiver, startReceiver } from '@shewhart/alerts';
import { loadConfig } from '@shewhart/config';
import { type EmbeddedRuntime, startEmbedded } from '@shewhart/runtime';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cfrShift, mondayWeeksAgo } from './support/shift.js';
import { eventually } from './support/wait.js';

/**
 * After each baseline and signal refresh the embedded runtime evaluates the alerts before the web view
 * prepares its pages (tiles and some twenty charts): alerts are time-critical and never wait behind it.
 * The order is read from the runtime's own log (pino, the logger the runtime is given, into memory).
 */
// pino is the configuration package's dependency (the runtime's logger is a pino logger).
const pino = createRequire(join(process.cwd(), 'packages/config/package.json'))('pino') as (
  options: object,
  stream: { write(line: string): void },
) => Parameters<typeof startEmbedded>[0]['logger'];

const SECRET = 'refresh-order-secret';
process.env.SHEWHART_TEST_ORDER_SECRET = SECRET;
const lines: { msg?: string; opened?: number }[] = [];
let receiver: Receiver;
let rt: EmbeddedRuntime;
let dir: string;

beforeAll(async () => {
  receiver = await startReceiver({ secret: SECRET, respond: () => 204 });
  dir = mkdtempSync(join(tmpdir(), 'shewhart-refresh-order-'));
  const file = join(dir, 'shewhart.yaml');
  writeFileSync(
    file,
    `version: 2
alerts:
  routes:
    - id: hook
      type: webhook
      url: ${receiver.url}/hooks/order
      secretEnv: SHEWHART_TEST_ORDER_SECRET
  rules:
    - id: cfr
      class: signal
      kpis: [change_failure_rate]
      scopes: [team]
      routes: [hook]
`,
  );
  const config = loadConfig({
    SHEWHART_DATA_DIR: join(dir, 'data'),
    PORT: '0',
    SHEWHART_FLUSH_MS: '10',
    SHEWHART_CONFIG: file,
    // The refresher runs after new events (its quiet period); the scheduled evaluation never does here.
    SHEWHART_BASELINE_REFRESH_MS: '500',
    SHEWHART_ALERT_EVALUATE_MS: '600000',
  });
  const logger = pino({ level: 'info' }, { write: (line) => void lines.push(JSON.parse(line)) });
  rt = await startEmbedded({ config, logger });
  // The preparation at start is done before the test's refresh.
  await eventually('the pages prepared at start', () =>
    lines.some((l) => l.msg === 'web view prepared') ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  await rt?.shutdown();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('evaluates the alerts of a refresh before the web view prepares its pages', async () => {
  const res = await fetch(`${rt.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(cfrShift('o', mondayWeeksAgo(30))),
  });
  expect(res.status).toBe(202);
  // The log of the refresh whose evaluation opened the alert, once the pages were prepared in it.
  const segment = await eventually(
    'the refresh that opens the alert, and its pages prepared',
    () => {
      const opened = lines.findIndex((l) => l.msg === 'alerts evaluated' && (l.opened ?? 0) > 0);
      if (opened < 0) return undefined;
      const start = lines.findLastIndex((l, i) => i < opened && l.msg === 'baselines refreshed');
      const next = lines.findIndex((l, i) => i > opened && l.msg === 'baselines refreshed');
      const part = lines.slice(start, next < 0 ? lines.length : next).map((l) => l.msg);
      return part.includes('web view prepared') ? part : undefined;
    },
    60_000,
  );
  const own = segment.filter((m) => m === 'alerts evaluated' || m === 'web view prepared');
  expect(own).toEqual(['alerts evaluated', 'web view prepared']);
});
