import { z } from 'zod';
import { EVENT_SCHEMAS } from './envelope.js';
import { EVENT_TYPES, type EventType } from './types.js';

/** JSON Schema (draft 2020-12) of one event type, as clients send it (defaults are optional on input). */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  return {
    $id: `https://shewhart.dev/schemas/events/v1/${type}.json`,
    title: type,
    description: EVENT_TYPES[type].summary,
    ...z.toJSONSchema(EVENT_SCHEMAS[type], { io: 'input', unrepresentable: 'any' }),
  };
}
