/**
 * Awaits `pending`, rejecting after `ms` with a message naming what was awaited: every wait of the
 * bench is bounded, so a stuck stream fails the run instead of hanging it.
 */
export async function withDeadline<T>(pending: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([pending, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
