import { PerformanceObserver } from 'node:perf_hooks';

/** One garbage-collection pause of this (the bench's) process, on its `performance.now()` clock. */
export type GcPause = { readonly startMs: number; readonly endMs: number };

/**
 * Records this process's garbage-collection pauses until `stop()`. The bench's clients and the
 * stub share this process, so a pause here delays a client's read of a delta as surely as one in
 * the service: the TTFT details report how many first tokens waited through one.
 */
export function watchGcPauses(): { readonly pauses: readonly GcPause[]; stop(): void } {
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push({ startMs: entry.startTime, endMs: entry.startTime + entry.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return { pauses, stop: () => observer.disconnect() };
}

/** How long the pauses cover of the window from `fromMs` to `toMs`. */
export function pausedWithin(pauses: readonly GcPause[], fromMs: number, toMs: number): number {
  return pauses.reduce((sum, pause) => sum + Math.max(0, Math.min(toMs, pause.endMs) - Math.max(fromMs, pause.startMs)), 0);
}
