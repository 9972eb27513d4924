import type { ApiClient } from '../api-client.js';
import { Progress } from '../progress.js';
import { type DemoOptions, generateDemo, teamNames } from './generator.js';

export interface LoadSummary {
  events: number;
  accepted: number;
  duplicates: number;
  seconds: number;
}

/** Generates the demo history and sends it through the real ingest API, in batches, with progress. */
export async function loadDemo(
  api: ApiClient,
  options: DemoOptions,
  batchSize = 5_000,
): Promise<LoadSummary> {
  const started = Date.now();
  const events = [...generateDemo(options)];
  const progress = new Progress('demo', events.length);
  let accepted = 0;
  let duplicates = 0;
  for (let i = 0; i < events.length; i += batchSize) {
    const result = await api.ingest(events.slice(i, i + batchSize));
    if (result.status !== 202) {
      progress.stop();
      throw new Error(
        `demo load refused (${result.status}): ${result.message ?? JSON.stringify(result.errors?.slice(0, 3))}`,
      );
    }
    accepted += result.accepted ?? 0;
    duplicates += result.duplicates ?? 0;
    progress.update(Math.min(events.length, i + batchSize));
  }
  progress.stop();
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `demo: ${events.length} events for ${options.teams} teams (${teamNames(options.teams).join(', ')}) over ` +
      `${options.weeks} weeks, seed ${options.seed}: ${accepted - duplicates} new, ${duplicates} already stored, ` +
      `${seconds.toFixed(1)} s\n`,
  );
  return { events: events.length, accepted, duplicates, seconds };
}
