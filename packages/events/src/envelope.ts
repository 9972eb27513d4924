import { z } from 'zod';
import { Text, Timestamp } from './primitives.js';
import { EVENT_TYPE_NAMES, EVENT_TYPES, type EventType } from './types.js';

const envelopeFields = {
  specversion: z.literal('1.0').default('1.0'),
  id: Text(1, 128),
  source: Text(1, 256),
  time: Timestamp,
  team: Text(1, 128).default('default'),
  project: Text(1, 128).optional(),
};

/** One schema per type: the envelope with that type's payload. Unknown top-level fields are kept. */
function eventSchema<T extends EventType>(type: T) {
  return z.looseObject({ ...envelopeFields, type: z.literal(type), data: EVENT_TYPES[type].data });
}

export const EVENT_SCHEMAS = Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, eventSchema(t)])) as {
  [T in EventType]: ReturnType<typeof eventSchema<T>>;
};

/** Any event of contract v1, discriminated by `type`. */
export const ShewhartEvent = z.discriminatedUnion(
  'type',
  EVENT_TYPE_NAMES.map((t) => EVENT_SCHEMAS[t]) as unknown as [
    (typeof EVENT_SCHEMAS)[EventType],
    ...(typeof EVENT_SCHEMAS)[EventType][],
  ],
);

export type ShewhartEvent = {
  [T in EventType]: z.output<(typeof EVENT_SCHEMAS)[T]>;
}[EventType];
export type ShewhartEventInput = z.input<typeof ShewhartEvent>;
