import type { BaselineRefresher } from '@shewhart/baselines';
import type { EntityStates } from '@shewhart/kpi';
import type { ObjectiveService } from '@shewhart/objectives';
import { withoutStatementDeadline, withStatementDeadline } from '@shewhart/warehouse';
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
 *
 * The deadline reaches the warehouse too: every statement `work` issues runs with `max_execution_time` =
 * the time left, and one that would start after the deadline (e.g. a read that waited for a catch-up) is
 * not run at all, so an answered request leaves no work behind in the engine.
 *
 * `catchUp`: the KPI entity states to bring up to date first. That catch-up is shared work (other requests
 * and the background wait for it too), so it runs without the request's statement deadline — a request
 * stops waiting for it at the deadline, but never cuts it short (a first build of millions of events
 * takes longer than one request may).
 */
export async function withinDeadline<T>(
  ms: number,
  work: () => Promise<T>,
  options: { catchUp?: EntityStates } = {},
): Promise<T> {
  const at = Date.now() + ms;
  const aborted = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Rejected before the abort, so the answer is the 503 and not the abort error of a statement.
      reject(new ApiError('timeout', `the request took longer than ${ms} ms; retry later`, undefined, 5));
      aborted.abort();
    }, ms);
  });
  const { catchUp } = options;
  const run = async () => {
    if (catchUp) await withoutStatementDeadline(() => catchUp.catchUp());
    return withStatementDeadline({ at, signal: aborted.signal }, work);
  };
  try {
    return await Promise.race([run(), late]);
  } finally {
    clearTimeout(timer);
  }
}
