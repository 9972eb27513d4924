import { type EventError, validateEvent } from '@shewhart/events';
import type { ApiClient } from '../api-client.js';
import { Progress } from '../progress.js';
import type { ImportSource } from './readers.js';

export interface ImportSummary {
  source: string;
  records: number;
  valid: number;
  invalid: number;
  accepted: number;
  duplicates: number;
  seconds: number;
}

export interface Problem {
  where: string;
  message: string;
}

/**
 * Streams a source into the ingest API in batches: each record is validated locally first so that
 * invalid records are reported with their position and skipped, while valid ones go on. Batches are
 * sent one at a time (back-pressure: the file is read only as fast as the store acknowledges).
 */
export async function importSource(
  source: ImportSource,
  api: ApiClient | undefined,
  options: { batchSize: number; onProblem: (p: Problem) => void },
): Promise<ImportSummary> {
  const started = Date.now();
  const progress = new Progress(source.name, source.size ?? 0, 'bytes');
  let bytes = 0;
  const summary: ImportSummary = {
    source: source.name,
    records: 0,
    valid: 0,
    invalid: 0,
    accepted: 0,
    duplicates: 0,
    seconds: 0,
  };
  let batch: unknown[] = [];
  const send = async () => {
    if (!api || batch.length === 0) return;
    const result = await api.ingest(batch);
    if (result.status !== 202) {
      throw new Error(
        `the server refused a batch (${result.status}): ${result.message ?? describe(result.errors)}`,
      );
    }
    summary.accepted += result.accepted ?? 0;
    summary.duplicates += result.duplicates ?? 0;
    batch = [];
    if (source.size) progress.update(bytes);
  };
  try {
    for await (const record of source.records((n) => {
      bytes += n;
    })) {
      summary.records++;
      if ('error' in record) {
        summary.invalid++;
        options.onProblem({ where: record.where, message: record.error });
        continue;
      }
      const { event, errors } = validateEvent(record.value);
      if (!event) {
        summary.invalid++;
        options.onProblem({ where: record.where, message: describe(errors) });
        continue;
      }
      summary.valid++;
      batch.push(event);
      if (batch.length >= options.batchSize) await send();
    }
    await send();
    if (source.size) progress.update(source.size);
  } finally {
    progress.stop();
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

function describe(errors: EventError[] | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.path.length > 0 ? e.path.join('.') : '(event)'}: ${e.message}`)
    .join('; ');
}
