import { readFileSync } from 'node:fs';
import { validateBatch } from '@shewhart/events';
import { expect } from 'vitest';
import type { Mapped } from './mapping.js';

/** A fixture payload (written after the tool's public webhook documentation, trimmed). */
export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

/** The events of a mapping result, each checked against the event contract. */
export function eventsOf(result: Mapped) {
  if ('ignored' in result) throw new Error(`expected events, got ignored: ${result.ignored}`);
  const v = validateBatch(result.events);
  expect(v.ok ? [] : v.errors).toEqual([]);
  return result.events as (Record<string, unknown> & { data: Record<string, unknown> })[];
}

export const ignoredOf = (result: Mapped) => ('ignored' in result ? result.ignored : undefined);
