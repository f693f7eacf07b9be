/**
 * How tests wait: for an event, or by polling a condition until a deadline. The deadline only
 * bounds the wait — the machine is shared and noisy, so it is generous and never an assertion
 * of speed. A test that needs a timing claim asserts it separately, and says why.
 */
export const DEFAULT_DEADLINE_MS = 15_000;

export interface WaitOptions {
  /** What is awaited, in words, for the failure message ("the request row of req_1"). */
  what: string;
  /** Give up after this long (default 15 s). */
  deadlineMs?: number;
  /** Pause between polls (default 25 ms). */
  intervalMs?: number;
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Polls `predicate` until it returns a truthy value, and resolves with that value. A throw counts
 * as "not yet" (a server still starting, a row not written); when the deadline passes, rejects
 * naming `what` with the last value or error seen.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions): Promise<Truthy<T>> {
  const deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const started = performance.now();
  let last: string = 'never evaluated';
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Truthy<T>;
      last = `last value ${describe(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error)?.message ?? String(err)}`;
    }
    if (performance.now() - started > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${opts.what} (${last})`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
