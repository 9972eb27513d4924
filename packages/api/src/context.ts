import type { BaselineRefresher } from '@shewhart/baselines';
import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import { ApiError } from './errors.js';

/** What the query routes read from; built by the composition root (packages/runtime). */
export interface QueryContext {
  states: EntityStates;
  objectives?: ObjectiveService;
  /** The embedded runtime's background refresher (the scaled deployment refreshes from a job). */
  refresher?: BaselineRefresher;
  /** The longest a request may take (503 with Retry-After past it). */
  requestTimeoutMs: number;
}

/**
 * Runs `work` under the request deadline: past it the request is answered 503 with Retry-After. Only for
 * reads and decisions that store nothing before their last step — ingest is never cut short, so a 5xx
 * never follows a store the client cannot learn of.
 */
export async function withinDeadline<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new ApiError('timeout', `the request took longer than ${ms} ms; retry later`, undefined, 5)),
      ms,
    );
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}
