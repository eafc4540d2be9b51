import { availableParallelism, loadavg } from 'node:os';
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

/** The result table, one row per measurement, with its target and verdict. */
export function relayReportRows(results: { throughput: RelayThroughput[]; latency: RelayLatency[] }): string[][] {
  const rows = [['scenario', 'raw kafkajs', 'relay', 'ratio / target', 'result']];
  for (const [index, round] of results.throughput.entries()) {
    const ratio = round.relayEventsPerSecond / round.rawEventsPerSecond;
    rows.push([
      `throughput, backlog ${round.events} × ${round.payloadBytes} B, round ${index + 1}`,
      `${Math.round(round.rawEventsPerSecond)} ev/s`,
      `${Math.round(round.relayEventsPerSecond)} ev/s`,
      `${ratio.toFixed(2)} / ≥ ${targets.throughputRatio}`,
      ratio >= targets.throughputRatio ? 'pass' : 'FAIL',
    ]);
  }
  for (const run of results.latency) {
    const p = (value: number) => `${value.toFixed(0)} ms`;
    rows.push([
      `commit → published, ${run.eventsPerSecond} ev/s (${run.events} events)`,
      '—',
      `p50 ${p(run.toPublishedMs.p50)}, p99 ${p(run.toPublishedMs.p99)}`,
      `p99 ≤ ${targets.p99Ms} ms`,
      run.toPublishedMs.p99 <= targets.p99Ms ? 'pass' : 'FAIL',
    ]);
    rows.push([`commit → consumed, ${run.eventsPerSecond} ev/s`, '—', `p50 ${p(run.toConsumedMs.p50)}, p99 ${p(run.toConsumedMs.p99)}`, 'info', 'info']);
  }
  return rows;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}\n`);
}

if (import.meta.main) {
  progress(`${availableParallelism()} cores, load ${loadavg().map((load) => load.toFixed(1)).join(' ')}`);
  const results = await runRelayBenchmarks();
  printTable(relayReportRows(results));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
}
