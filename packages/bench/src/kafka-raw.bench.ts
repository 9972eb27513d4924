/**
 * `pnpm bench kafka-raw [--messages N] [--batch B] [--codecs none,gzip] [--concurrency C]
 *  [--partitions P] [--brokers host:port]`
 *
 * Raw produce rate through the Kafka adapter (idempotent producer, acks=all): N synthetic ~400-byte
 * JSON events published in batches of B, C publishes in flight. Per codec it prints events/s, MiB/s,
 * p50/p99/max batch acknowledgement latency, client CPU time, peak RSS, and (for a local broker) the
 * bytes the broker stored. Needs a running broker: infra/kafka/kafka.sh start.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KafkaBus, type KafkaCompression, type OutgoingMessage } from '@shewhart/bus';
import { mib, PeakRss, percentile } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const brokerData = resolve(here, '../../../infra/kafka/run');

const TYPES = ['defect.reported', 'delivery.deployment', 'review.completed', 'feedback.survey'] as const;
const WORDS = 'login checkout latency regression timeout cache index payment export report sync build'.split(
  ' ',
);

/** A synthetic event envelope of about 400 bytes, varied like real traffic (ids, times, free text). */
function syntheticEvent(i: number): OutgoingMessage {
  const team = `team-${i % 12}`;
  const title = Array.from({ length: 8 }, (_, k) => WORDS[(i * 7 + k * 13) % WORDS.length] as string).join(
    ' ',
  );
  const body = {
    id: randomUUID(),
    source: 'bench',
    type: TYPES[i % TYPES.length] as string,
    schemaVersion: 1,
    occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1_000).toISOString(),
    team,
    project: `proj-${i % 37}`,
    payload: {
      severity: ['low', 'medium', 'high', 'critical'][i % 4],
      title,
      component: `svc-${i % 23}`,
      reporter: `user-${(i * 31) % 997}`,
      trace: randomBytes(12).toString('hex'),
      estimateHours: (i % 17) * 0.5,
      labels: ['iso9001', `clause-${(i % 10) + 4}`],
    },
  };
  return {
    key: team,
    value: Buffer.from(JSON.stringify(body)),
    headers: { source: 'bench', type: body.type },
  };
}

/** Bytes of the topic's segments when the broker is the local one (its data dir is readable). */
function storedBytes(topic: string): number | undefined {
  try {
    let total = 0;
    let found = false;
    for (const port of readdirSync(brokerData, { withFileTypes: true })) {
      if (!port.isDirectory()) continue;
      const data = join(brokerData, port.name, 'data');
      for (const d of readdirSync(data)) {
        if (d.startsWith(`${topic}-`)) {
          found = true;
          // Index files are preallocated; only the log segments hold the records.
          for (const f of readdirSync(join(data, d)))
            if (f.endsWith('.log')) total += statSync(join(data, d, f)).size;
        }
      }
    }
    return found ? total : undefined;
  } catch {
    return undefined;
  }
}

interface Args {
  messages: number;
  batch: number;
  codecs: KafkaCompression[];
  concurrency: number;
  partitions: number;
  brokers: string[];
}

function parse(argv: string[]): Args | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: 'string', default: '100000' },
      batch: { type: 'string', default: '500' },
      codecs: { type: 'string', default: 'none,gzip' },
      concurrency: { type: 'string', default: '1' },
      partitions: { type: 'string', default: '6' },
      brokers: { type: 'string', default: '127.0.0.1:9092' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: pnpm bench kafka-raw [--messages 100000] [--batch 500] [--codecs none,gzip] [--concurrency 1]\n' +
        '                            [--partitions 6] [--brokers 127.0.0.1:9092]\n',
    );
    return undefined;
  }
  const int = (key: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} must be a positive integer, got '${v}'`);
    return n;
  };
  const codecs = values.codecs.split(',').map((c) => c.trim());
  for (const c of codecs) if (c !== 'none' && c !== 'gzip') throw new Error(`--codecs: unknown codec '${c}'`);
  return {
    messages: int('messages', values.messages),
    batch: int('batch', values.batch),
    codecs: codecs as KafkaCompression[],
    concurrency: int('concurrency', values.concurrency),
    partitions: int('partitions', values.partitions),
    brokers: values.brokers.split(','),
  };
}

async function runCodec(
  args: Args,
  codec: KafkaCompression,
  batches: OutgoingMessage[][],
  payloadBytes: number,
) {
  const bus = new KafkaBus({ brokers: args.brokers, compression: codec, publishTimeoutMs: 30_000 });
  const topic = `bench.kafka-raw.${codec}.${Date.now().toString(36)}`;
  try {
    await bus.ensureTopics([{ name: topic, partitions: args.partitions }]);
    // Warm-up: connection, producer id, metadata and JIT, outside the measurement.
    await bus.publish(topic, batches[0] ?? []);
    const latencies: number[] = [];
    const rss = new PeakRss();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as OutgoingMessage[];
        const s = performance.now();
        await bus.publish(topic, batch);
        latencies.push(performance.now() - s);
      }
    };
    await Promise.all(Array.from({ length: args.concurrency }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const peak = rss.stop();
    latencies.sort((a, b) => a - b);
    const stored = storedBytes(topic);
    const warmup = batches[0]?.length ?? 0;
    return {
      codec,
      'events/s': Math.round(args.messages / seconds),
      'MiB/s': (payloadBytes / seconds / 1024 / 1024).toFixed(1),
      'p50 ms': percentile(latencies, 0.5).toFixed(1),
      'p99 ms': percentile(latencies, 0.99).toFixed(1),
      'max ms': (latencies[latencies.length - 1] ?? Number.NaN).toFixed(1),
      'client CPU s': ((cpu.user + cpu.system) / 1e6).toFixed(2),
      'peak RSS': mib(peak),
      'stored B/event': stored === undefined ? 'n/a' : (stored / (args.messages + warmup)).toFixed(0),
    };
  } finally {
    await bus.deleteTopics([topic]).catch(() => {});
    await bus.close();
  }
}

export async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  if (!args) return;
  const events = Array.from({ length: args.messages }, (_, i) => syntheticEvent(i));
  const payloadBytes = events.reduce((n, m) => n + m.value.length, 0);
  const batches: OutgoingMessage[][] = [];
  for (let i = 0; i < events.length; i += args.batch) batches.push(events.slice(i, i + args.batch));
  process.stdout.write(
    `kafka-raw: ${args.messages} events (avg ${(payloadBytes / args.messages).toFixed(0)} B), batches of ${args.batch}, ` +
      `${args.concurrency} in flight, ${args.partitions} partitions, brokers ${args.brokers.join(',')}\n`,
  );
  const rows = [];
  for (const codec of args.codecs) {
    process.stdout.write(`  ${codec}...\n`);
    rows.push(await runCodec(args, codec, batches, payloadBytes));
  }
  console.table(rows);
}
