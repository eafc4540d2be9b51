import type { Meter } from '@opentelemetry/api';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** Event-loop delay is sampled at this resolution; finer costs CPU for no operational gain. */
const loopDelayResolutionMs = 20;

/**
 * Process and Node.js runtime gauges, read when Prometheus scrapes: resident memory, V8 heap,
 * CPU time, uptime, and the event loop's delay and utilization. The event-loop figures cover the
 * time since the previous scrape. No labels. Returns a function that stops the delay sampler.
 */
export function registerRuntimeMetrics(meter: Meter): () => void {
  const loopDelay = monitorEventLoopDelay({ resolution: loopDelayResolutionMs });
  loopDelay.enable();
  let lastUtilization = performance.eventLoopUtilization();

  const rss = meter.createObservableGauge('process_resident_memory_bytes', { description: 'Resident set size of the process' });
  const heapUsed = meter.createObservableGauge('nodejs_heap_used_bytes', { description: 'V8 heap in use' });
  const heapTotal = meter.createObservableGauge('nodejs_heap_total_bytes', { description: 'V8 heap reserved' });
  const external = meter.createObservableGauge('nodejs_external_memory_bytes', { description: 'Memory of C++ objects bound to JavaScript (buffers included)' });
  const uptime = meter.createObservableGauge('process_uptime_seconds', { description: 'Seconds since the process started' });
  const cpu = meter.createObservableCounter('process_cpu_seconds_total', { description: 'User and system CPU time used by the process' });
  const lagP99 = meter.createObservableGauge('nodejs_eventloop_lag_p99_ms', { description: '99th percentile event-loop delay since the previous scrape' });
  const lagMax = meter.createObservableGauge('nodejs_eventloop_lag_max_ms', { description: 'Longest event-loop delay since the previous scrape' });
  const utilization = meter.createObservableGauge('nodejs_eventloop_utilization_ratio', { description: 'Share of time the event loop was busy since the previous scrape (0-1)' });

  meter.addBatchObservableCallback(
    (result) => {
      const memory = process.memoryUsage();
      result.observe(rss, memory.rss);
      result.observe(heapUsed, memory.heapUsed);
      result.observe(heapTotal, memory.heapTotal);
      result.observe(external, memory.external);
      result.observe(uptime, process.uptime());
      const cpuUsage = process.cpuUsage();
      result.observe(cpu, (cpuUsage.user + cpuUsage.system) / 1e6);
      result.observe(lagP99, lagMs(loopDelay.percentile(99)));
      result.observe(lagMax, lagMs(loopDelay.max));
      loopDelay.reset();
      const current = performance.eventLoopUtilization();
      result.observe(utilization, performance.eventLoopUtilization(current, lastUtilization).utilization);
      lastUtilization = current;
    },
    [rss, heapUsed, heapTotal, external, uptime, cpu, lagP99, lagMax, utilization],
  );
  return () => loopDelay.disable();
}

/**
 * The sampler's figures are nanoseconds between its timer ticks, so an idle loop reads as the
 * resolution itself; the lag is what exceeds it. With no sample yet the figures are 0.
 */
function lagMs(nanoseconds: number): number {
  return Math.max(0, nanoseconds / 1e6 - loopDelayResolutionMs);
}
