import type { TopicSpec } from './port.js';

/** The topic catalogue: every topic Shewhart uses is declared here once. */
export const TOPICS = {
  events: 'shewhart.events.v1',
  deadLetters: 'shewhart.events.dlq.v1',
} as const;

export function topicCatalogue(partitions: number): TopicSpec[] {
  return [
    { name: TOPICS.events, partitions },
    // Dead letters are few and read by people: one partition keeps them in arrival order.
    { name: TOPICS.deadLetters, partitions: 1, config: { 'retention.ms': String(30 * 24 * 3600 * 1000) } },
  ];
}
