import { readFile } from 'node:fs/promises';

/**
 * How a process spent a window of wall time, each as a share of it (1 = one core the whole time):
 * `busy` is CPU time of all its threads; `waiting` is how long its main (JavaScript) thread was
 * ready to run but had no CPU, which on a shared machine is time lost to other people's processes.
 */
export type CpuShares = { readonly busy: number; readonly waiting: number; readonly cpuMs: number };

export type CpuWindow = { readonly service: CpuShares; readonly bench: CpuShares };

/** Linux reports `/proc/<pid>/stat` CPU times in clock ticks, 100 per second on our kernels (`getconf CLK_TCK`). */
const ticksPerSecond = 100;

type CpuCounters = { cpuMs: number; runQueueWaitMs: number };

async function readCounters(pid: number): Promise<CpuCounters> {
  // utime and stime are the 12th and 13th fields after the parenthesised command name.
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  // schedstat of the main thread: ns on the CPU, ns waiting on a run queue, time slices.
  const [, waitNs] = (await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')).split(' ');
  return { cpuMs: ((Number(stat[11]) + Number(stat[12])) * 1000) / ticksPerSecond, runQueueWaitMs: Number(waitNs) / 1e6 };
}

/** Starts a window over the service process and this one; `end()` returns both processes' shares. */
export async function startCpuWindow(servicePid: number): Promise<{ end(): Promise<CpuWindow> }> {
  const startedAt = performance.now();
  const [service, bench] = await Promise.all([readCounters(servicePid), readCounters(process.pid)]);
  const sharesSince = (before: CpuCounters, after: CpuCounters, wallMs: number): CpuShares => ({
    busy: (after.cpuMs - before.cpuMs) / wallMs,
    waiting: (after.runQueueWaitMs - before.runQueueWaitMs) / wallMs,
    cpuMs: after.cpuMs - before.cpuMs,
  });
  return {
    async end() {
      const [serviceAfter, benchAfter] = await Promise.all([readCounters(servicePid), readCounters(process.pid)]);
      const wallMs = performance.now() - startedAt;
      return { service: sharesSince(service, serviceAfter, wallMs), bench: sharesSince(bench, benchAfter, wallMs) };
    },
  };
}

/**
 * The mean over several windows, e.g. `service 0.80 busy / 0.10 waiting, 9.5 ms CPU per turn; bench
 * 0.20 / 0.05`, where "per turn" divides the service's CPU time by `callsPerWindow`.
 */
export function describeCpuWindows(windows: readonly CpuWindow[], callsPerWindow: number, call = 'turn'): string {
  const mean = (pick: (window: CpuWindow) => number) => windows.reduce((sum, window) => sum + pick(window), 0) / windows.length;
  const shares = (pick: (window: CpuWindow) => CpuShares) => `${mean((w) => pick(w).busy).toFixed(2)} busy / ${mean((w) => pick(w).waiting).toFixed(2)} waiting for CPU`;
  const perCallMs = mean((w) => w.service.cpuMs) / callsPerWindow;
  return `service ${shares((w) => w.service)}, ${perCallMs.toFixed(1)} ms CPU per ${call}; bench ${shares((w) => w.bench)}`;
}
