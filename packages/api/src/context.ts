import type { DeliveryQueue } from '@shewhart/alerts';
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
  /**
   * Where a re-sent alert delivery goes: this process's delivery runner, or (a scaled collector) BullMQ;
   * without one the row is pending until a runtime that delivers alerts starts.
   */
  alertDeliveries?: DeliveryQueue;
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

/**
 * A decision (rebase, assignable cause) under the request deadline. It runs in the states' exclusive
 * section, behind a refresh or catch-up that holds it: if the section is not ours by the deadline, the
 * answer is 503 with Retry-After and nothing is stored (the decision never starts). Once started it is
 * never cut short — a decision answered 503 after it was recorded would be recorded twice by the retry.
 */
export function decideWithin<T>(ms: number, states: EntityStates, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + ms;
  let started = false;
  const run = states.exclusive(async () => {
    if (Date.now() >= deadline)
      throw new ApiError('timeout', 'not started: the deadline passed', undefined, 5);
    started = true;
    return work();
  });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (started) return;
      reject(
        new ApiError(
          'timeout',
          `the decision could not start within ${ms} ms (a refresh or catch-up holds the baselines); nothing was recorded, retry later`,
          undefined,
          5,
        ),
      );
    }, ms);
    run.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** What `POST /v1/baselines/refresh` answers when the refresh outlasts the request deadline. */
export interface RefreshRunning {
  status: 'running';
  message: string;
}

/**
 * Explicit refreshes, one at a time: a request arriving while one runs waits for the next one (which sees
 * its data), and any further requests share that next one — a burst of requests costs two refreshes, not
 * one each. A refresh that outlasts the request deadline goes on (it stores baselines and signals as it
 * goes, and cutting it short would waste that work): the request is answered 202 saying so.
 */
export function singleFlight<T>(): (ms: number, work: () => Promise<T>) => Promise<T | RefreshRunning> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (work: () => Promise<T>): Promise<T> => {
    if (!running) {
      running = work().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start(work);
      });
    return queued;
  };
  return (ms, work) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<RefreshRunning>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'running',
            message: `the refresh takes longer than ${ms} ms and goes on; GET /v1/baselines and /v1/signals show its results`,
          }),
        ms,
      );
    });
    // Shared work: neither the deadline of the request that started it nor its statement deadline apply.
    const run = withoutStatementDeadline(() => start(work));
    run.catch(() => undefined); // a refresh that fails after its request was answered is logged by no one else
    return Promise.race([run, late]).finally(() => clearTimeout(timer));
  };
}
