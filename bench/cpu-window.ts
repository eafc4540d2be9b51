import { readFile } from 'node:fs/promises';

/**
 * How a process spent a window of wall time, each as a share of it (1 = one core the whole time):
 * `busy` is CPU time of all its threads; `waiting` is how long its main (JavaScript) thread was
 * ready to run but had no CPU, which on a shared machine is time lost to other people's processes.
 */
export type CpuShares = { readonly busy: number; readonly waiting: number; readonly cpuMs: number };

/**
 * The whole machine over the window, each as a share of all its CPU time (1 = every core the whole
 * time): `busy` is time spent running anything; `stolen` is time the hypervisor gave our virtual
 * CPUs to other machines on the same host (`steal` in `/proc/stat`). Nothing inside the machine
 * sees stolen time as waiting, yet every process here stops for it.
 */
export type MachineShares = { readonly busy: number; readonly stolen: number };

export type CpuWindow = { readonly service: CpuShares; readonly bench: CpuShares; readonly machine: MachineShares };

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

type MachineCounters = { totalTicks: number; idleTicks: number; stealTicks: number };

async function readMachineCounters(): Promise<MachineCounters> {
  // The first line of /proc/stat sums all cores: user nice system idle iowait irq softirq steal ...
  const ticks = ((await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const at = (index: number) => ticks[index] ?? 0;
  return { totalTicks: ticks.reduce((sum, value) => sum + value, 0), idleTicks: at(3) + at(4), stealTicks: at(7) };
}

function machineSharesSince(before: MachineCounters, after: MachineCounters): MachineShares {
  const total = after.totalTicks - before.totalTicks;
  if (total <= 0) return { busy: 0, stolen: 0 };
  const stolen = (after.stealTicks - before.stealTicks) / total;
  return { busy: 1 - (after.idleTicks - before.idleTicks) / total - stolen, stolen };
}

/** Starts a window over the service process, this one and the machine; `end()` returns their shares. */
export async function startCpuWindow(servicePid: number): Promise<{ end(): Promise<CpuWindow> }> {
  const startedAt = performance.now();
  const [service, bench, machine] = await Promise.all([readCounters(servicePid), readCounters(process.pid), readMachineCounters()]);
  const sharesSince = (before: CpuCounters, after: CpuCounters, wallMs: number): CpuShares => ({
    busy: (after.cpuMs - before.cpuMs) / wallMs,
    waiting: (after.runQueueWaitMs - before.runQueueWaitMs) / wallMs,
    cpuMs: after.cpuMs - before.cpuMs,
  });
  return {
    async end() {
      const [serviceAfter, benchAfter, machineAfter] = await Promise.all([readCounters(servicePid), readCounters(process.pid), readMachineCounters()]);
      const wallMs = performance.now() - startedAt;
      return {
        service: sharesSince(service, serviceAfter, wallMs),
        bench: sharesSince(bench, benchAfter, wallMs),
        machine: machineSharesSince(machine, machineAfter),
      };
    },
  };
}

/**
 * The mean over several windows, e.g. `service 0.80 busy / 0.10 waiting, 9.5 ms CPU per turn; bench
 * 0.20 / 0.05; machine 0.60 busy, stolen by the host [0.00, 0.21]`, where "per turn" divides the
 * service's CPU time by `callsPerWindow` and the stolen shares are per window: one window with
 * much stolen time is enough to decide a p99.
 */
export function describeCpuWindows(windows: readonly CpuWindow[], callsPerWindow: number, call = 'turn'): string {
  const mean = (pick: (window: CpuWindow) => number) => windows.reduce((sum, window) => sum + pick(window), 0) / windows.length;
  const shares = (pick: (window: CpuWindow) => CpuShares) => `${mean((w) => pick(w).busy).toFixed(2)} busy / ${mean((w) => pick(w).waiting).toFixed(2)} waiting for CPU`;
  const perCallMs = mean((w) => w.service.cpuMs) / callsPerWindow;
  const stolen = windows.map((window) => window.machine.stolen.toFixed(2)).join(', ');
  return `service ${shares((w) => w.service)}, ${perCallMs.toFixed(1)} ms CPU per ${call}; bench ${shares((w) => w.bench)}; machine ${mean((w) => w.machine.busy).toFixed(2)} busy, stolen by the host [${stolen}]`;
}
