import { median, percentile } from '../percentile.ts';
import type { CallStats } from './run-callers.ts';

/** Target of issue 4: the ORM path keeps at least this share of the `pg` baseline's throughput. */
export const throughputRatioTarget = 0.6;

/** The only outcomes a contended mutation may have: it won, or it lost the race in an expected way. */
export const expectedContentionOutcomes = ['ok', 'NOT_LATEST_TURN', 'GENERATION_IN_PROGRESS'];

/** One (mutation, callers) cell of the distinct-chats scenario: interleaved ORM and baseline rounds. */
export type DistinctChatsResult = {
  readonly mutation: 'delete' | 'retry';
  readonly callers: number;
  /** Label of the ORM's pool, e.g. `pool 32`. */
  readonly pool: string;
  readonly orm: CallStats[];
  readonly baseline: CallStats[];
};

export type ContentionResult = { readonly scenario: string; readonly path: 'ORM' | 'pg'; readonly rounds: number; readonly stats: CallStats };

const opsPerSecond = (stats: CallStats) => (stats.calls / stats.elapsedMs) * 1000;
const fixed = (value: number, digits = 0) => value.toFixed(digits);

const allLatencies = (runs: readonly CallStats[]) => runs.flatMap((run) => run.latenciesMs);
const unexpectedOf = (runs: readonly CallStats[]) => runs.flatMap((run) => Object.keys(run.outcomes).filter((outcome) => outcome !== 'ok'));

/** Median over rounds of ORM ops/s ÷ baseline ops/s, each round's pair measured back to back. */
export function ratioOf(result: DistinctChatsResult): number {
  return median(result.orm.map((run, round) => opsPerSecond(run) / opsPerSecond(result.baseline[round] ?? run)));
}

export function distinctChatsTable(results: readonly DistinctChatsResult[]): string[][] {
  const header = ['mutation', 'callers', 'ORM ops/s', 'pg ops/s', 'ORM/pg', 'ORM p50/p99 ms', 'pg p50/p99 ms', 'client CPU ms/op ORM/pg', 'machine busy', 'result'];
  const rows = results.map((result) => {
    const ratio = ratioOf(result);
    const errors = [...unexpectedOf(result.orm), ...unexpectedOf(result.baseline)];
    const cpu = (runs: CallStats[]) => fixed(median(runs.map((run) => run.clientCpuMsPerCall)), 2);
    const latency = (runs: CallStats[]) => `${fixed(percentile(allLatencies(runs), 50), 1)} / ${fixed(percentile(allLatencies(runs), 99), 1)}`;
    const isMet = ratio >= throughputRatioTarget && errors.length === 0;
    return [
      result.mutation,
      `${result.callers} (${result.pool})`,
      `${fixed(median(result.orm.map(opsPerSecond)))} [${result.orm.map((run) => fixed(opsPerSecond(run))).join(', ')}]`,
      `${fixed(median(result.baseline.map(opsPerSecond)))} [${result.baseline.map((run) => fixed(opsPerSecond(run))).join(', ')}]`,
      `${fixed(ratio, 2)} [${result.orm.map((run, round) => fixed(opsPerSecond(run) / opsPerSecond(result.baseline[round] ?? run), 2)).join(', ')}]`,
      latency(result.orm),
      latency(result.baseline),
      `${cpu(result.orm)} / ${cpu(result.baseline)}`,
      fixed(median([...result.orm, ...result.baseline].map((run) => run.machineBusy)), 2),
      errors.length > 0 ? `FAIL (${[...new Set(errors)].join(', ')})` : isMet ? `pass (≥ ${throughputRatioTarget})` : `FAIL (< ${throughputRatioTarget})`,
    ];
  });
  return [header, ...rows];
}

export function contentionTable(results: readonly ContentionResult[]): string[][] {
  const header = ['scenario (32 callers, one chat)', 'path', 'calls/s', 'wins/s', 'p50 ms', 'p99 ms', 'outcomes', 'result'];
  const rows = results.map(({ scenario, path, rounds, stats }) => {
    const unexpected = Object.keys(stats.outcomes).filter((outcome) => !expectedContentionOutcomes.includes(outcome));
    const oneWinnerPerRound = stats.outcomes['ok'] === rounds;
    const verdict = unexpected.length > 0 ? `FAIL (${unexpected.join(', ')})` : oneWinnerPerRound ? 'pass' : `FAIL (${stats.outcomes['ok'] ?? 0} wins in ${rounds} rounds)`;
    return [
      `${scenario}, ${rounds} rounds`,
      path,
      fixed(opsPerSecond(stats)),
      fixed(((stats.outcomes['ok'] ?? 0) / stats.elapsedMs) * 1000),
      fixed(percentile(stats.latenciesMs, 50), 1),
      fixed(percentile(stats.latenciesMs, 99), 1),
      Object.entries(stats.outcomes).map(([outcome, count]) => `${outcome} ${count}`).join(', '),
      verdict,
    ];
  });
  return [header, ...rows];
}

/** The first message of every unexpected error, for the report. */
export function unexpectedErrors(runs: readonly CallStats[]): string[] {
  return runs.flatMap((run) => Object.entries(run.unexpected).map(([kind, message]) => `${kind}: ${message}`));
}

/** A Markdown table, so a run's output pastes straight into docs/benchmarks.md. */
export function markdownTable(table: readonly (readonly string[])[]): string {
  const widths = (table[0] ?? []).map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [header, ...rows] = table;
  return [line(header ?? []), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
