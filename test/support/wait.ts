/**
 * Waiting in tests without sleeping: poll for an outcome under a deadline (`eventually`), or be told that
 * something happened (`latch`). A fixed sleep is either too short on a loaded machine (a flaky test) or
 * longer than needed everywhere else (a slow one), and it hides what the test waits for.
 */

/**
 * Polls `probe` until it returns a value other than undefined and returns that value; fails naming `what`
 * after `timeoutMs`. The interval only paces the polling: the outcome is what ends the wait.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface Latch {
  /** Resolves once `open()` was called. */
  readonly promise: Promise<void>;
  open(): void;
  readonly opened: boolean;
}

/** A one-shot signal: code under test (or a hook) opens it, the test awaits it. */
export function latch(): Latch {
  let open = () => {};
  let opened = false;
  const promise = new Promise<void>((resolve) => {
    open = () => {
      opened = true;
      resolve();
    };
  });
  return {
    promise,
    open: () => open(),
    get opened() {
      return opened;
    },
  };
}

/**
 * Lets everything already queued run first: promise continuations, then the callbacks of the current
 * event-loop turn. Not a timed wait: for in-process code with no I/O in between, whatever could have
 * happened by now has happened, so "nothing happened" is a fact after it, not a guess.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
