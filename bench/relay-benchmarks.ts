import { availableParallelism, loadavg } from 'node:os';
import type { ReportRow } from './benchmark-report.ts';
import { startRelayBenchEnvironment } from './relay/relay-bench-environment.ts';
import { measureRelayLatency, type RelayLatency } from './relay/relay-latency.ts';
import { measureRelayThroughput, type RelayThroughput } from './relay/relay-throughput.ts';

// `npm run bench:relay`: the relay benchmarks of issue 5, on their own (PostgreSQL from
// DATABASE_URL or embedded, Kafka from KAFKA_BROKERS or a local broker). Prints a table and, with
// `--json`, the raw figures. Targets: throughput ≥ 0.8 of a raw producer; p99 ≤ 50 ms.

const throughputRounds = 2;
const backlog = { chats: 2_000, eventsPerChat: 50 }; // 100,000 events of 500 bytes
const latencyRates = [100, 1_000];
const latencyDurationMs = 10_000;
const targets = { throughputRatio: 0.8, p99Ms: 50 };

function progress(message: string): void {
  process.stderr.write(`[bench:relay ${(performance.now() / 1000).toFixed(1)} s] ${message}\n`);
}

/** Runs both benchmarks and returns their figures; also used by `npm run bench`. */
export async function runRelayBenchmarks(): Promise<{ throughput: RelayThroughput[]; latency: RelayLatency[] }> {
  const env = await startRelayBenchEnvironment({ databaseAdminUrl: process.env['DATABASE_URL'], brokers: process.env['KAFKA_BROKERS'] });
  try {
    const throughput: RelayThroughput[] = [];
    for (let round = 1; round <= throughputRounds; round += 1) {
      progress(`throughput round ${round}: backlog of ${backlog.chats * backlog.eventsPerChat} events`);
      throughput.push(await measureRelayThroughput(env, backlog));
    }
    const latency: RelayLatency[] = [];
    for (const eventsPerSecond of latencyRates) {
      progress(`latency at ${eventsPerSecond} events/s for ${latencyDurationMs / 1000} s`);
      latency.push(await measureRelayLatency(env, { eventsPerSecond, durationMs: latencyDurationMs }));
    }
    return { throughput, latency };
  } finally {
    await env.stop();
  }
}

/** One row per measurement, in the shape of `npm run bench`'s table (`ReportRow`). */
export function relayReportRows(results: { throughput: RelayThroughput[]; latency: RelayLatency[] }): ReportRow[] {
  const rows: ReportRow[] = [];
  for (const [index, round] of results.throughput.entries()) {
    const ratio = round.relayEventsPerSecond / round.rawEventsPerSecond;
    rows.push({
      scenario: `relay throughput, backlog ${round.events} × ${round.payloadBytes} B, round ${index + 1}`,
      baseline: `raw kafkajs ${Math.round(round.rawEventsPerSecond)} ev/s`,
      measured: `${Math.round(round.relayEventsPerSecond)} ev/s`,
      versus: ratio.toFixed(2),
      target: `≥ ${targets.throughputRatio}`,
      result: ratio >= targets.throughputRatio ? 'pass' : 'FAIL',
    });
  }
  const p = (value: number) => `${value.toFixed(0)} ms`;
  for (const run of results.latency) {
    rows.push({
      scenario: `relay commit → published, ${run.eventsPerSecond} ev/s (${run.events} events)`,
      baseline: '—',
      measured: `p50 ${p(run.toPublishedMs.p50)}, p99 ${p(run.toPublishedMs.p99)}`,
      versus: '—',
      target: `p99 ≤ ${targets.p99Ms} ms`,
      result: run.toPublishedMs.p99 <= targets.p99Ms ? 'pass' : 'FAIL',
    });
    rows.push({
      scenario: `relay commit → consumed, ${run.eventsPerSecond} ev/s`,
      baseline: '—',
      measured: `p50 ${p(run.toConsumedMs.p50)}, p99 ${p(run.toConsumedMs.p99)}`,
      versus: '—',
      target: '—',
      result: 'info',
    });
  }
  return rows;
}

function printTable(rows: readonly ReportRow[]): void {
  const cells = [['scenario', 'baseline', 'relay', 'ratio', 'target', 'result'], ...rows.map((row) => [row.scenario, row.baseline, row.measured, row.versus, row.target, row.result])];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((cell) => cell[column]!.length)));
  for (const cell of cells) process.stdout.write(`${cell.map((value, column) => value.padEnd(widths[column]!)).join('  ')}\n`);
}

if (import.meta.main) {
  progress(`${availableParallelism()} cores, load ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  const results = await runRelayBenchmarks();
  progress(`done, load ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  printTable(relayReportRows(results));
  if (relayReportRows(results).some((row) => row.result === 'FAIL')) process.exitCode = 1;
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
}
