/** Options of {@link eventually}. */
export type EventuallyOptions = {
  /** Give up after this long and rethrow the last failure. */
  readonly timeoutMs: number;
  /** Pause between two attempts. */
  readonly intervalMs?: number;
};

/**
 * Runs `check` until it resolves without throwing and returns its result; after `timeoutMs`
 * rethrows its last failure. The one way tests wait for something asynchronous to happen:
 * never a fixed sleep.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 25;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() + intervalMs > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
