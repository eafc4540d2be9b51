import { availableParallelism, loadavg } from 'node:os';
import { MikroORM } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { createOrmOptions } from '../src/db/orm.ts';
import { createModelCatalog } from '../src/llm/model-catalog.ts';
import { startBenchDatabase } from './bench-database.ts';
import { pgTransactions, sqlDelete, sqlRetry } from './mutations/baseline-mutations.ts';
import { baselineSequences, baselineStatement } from './mutations/baseline-sql.ts';
import { type ContentionResult, contentionTable, type DistinctChatsResult, distinctChatsTable, markdownTable, unexpectedErrors } from './mutations/mutation-report.ts';
import { ormMutations } from './mutations/orm-mutations.ts';
import { endPool, openPgPool } from './mutations/pg-pool.ts';
import { captureOrmStatements } from './mutations/orm-statements.ts';
import { type CallStats, type Mutation, runOnDistinctChats, runOnOneChat } from './mutations/run-callers.ts';
import { renewLatestTurn, seedChats } from './mutations/seed-chats.ts';

/**
 * Delete and Retry transactions per second, the real use cases on MikroORM against the same
 * statements sent by hand through `pg`, on distinct chats and all on one chat (issue 4,
 * "Benchmarks"). `npm run bench:mutations`, or with `-- --show-sql` to print the captured statements.
 */
const plan = {
  callers: [1, 8, 32],
  /** Interleaved ORM/pg pairs per cell; the order within the pair alternates. */
  rounds: 3,
  measureMs: 1_500,
  /**
   * Per mutation, 8 callers. The ORM path's CPU per call keeps falling for its first ~1,500 calls
   * (JIT; 11 → 3.7 ms per Delete at load 12), more than fits in this run; the pg path settles sooner.
   */
  warmUpMs: { orm: 8_000, baseline: 2_000 },
  /** Both paths get a pool this large, so 32 callers never queue for a connection. */
  poolMax: 32,
  /** The service's own pool (`createOrmOptions` sets none: pg's default of 10), at 32 callers. */
  servicePool: { callers: 32, rounds: 2 },
  contention: { callers: 32, rounds: 15 },
  /** The whole run must stay under 3 minutes; a hang fails it instead. */
  deadlineMs: 170_000,
};
const model = 'echo';
const catalog = createModelCatalog([{ id: model, providerModel: model, contextWindowTokens: 128_000, maxOutputTokens: 4_096, isDefault: true }]);
type MutationName = 'delete' | 'retry';
type Paths = Record<MutationName, Mutation>;

function progress(message: string): void {
  process.stderr.write(`[bench:mutations ${(performance.now() / 1000).toFixed(1)} s] ${message}\n`);
}

/** Last measured ops/s per mutation and path, to seed just enough chats for the next window. */
const expectedOpsPerSecond = new Map<string, number>();

/** Seeds enough fresh chats for one window at the last rate measured (×1.3), then measures it. */
async function measureOnFreshChats(pool: pg.Pool, mutate: Mutation, callers: number, key: string): Promise<CallStats> {
  const expected = expectedOpsPerSecond.get(key) ?? 2_000;
  const chats = await seedChats(pool, Math.ceil(100 + (expected * plan.measureMs * 1.3) / 1000), model);
  const stats = await runOnDistinctChats({ mutate, chats, callers, durationMs: plan.measureMs });
  const opsPerSecond = (stats.calls / stats.elapsedMs) * 1000;
  expectedOpsPerSecond.set(key, opsPerSecond);
  if (stats.calls === chats.length) progress(`${key}: used all ${chats.length} seeded chats before the window ended`);
  return stats;
}

async function measureDistinctChats(options: { pool: pg.Pool; orm: Paths; baseline: Paths; mutation: MutationName; callers: number; rounds: number; poolLabel: string }) {
  const { pool, mutation, callers } = options;
  const result: DistinctChatsResult = { mutation, callers, pool: options.poolLabel, orm: [], baseline: [] };
  for (let round = 0; round < options.rounds; round += 1) {
    const measured: string[] = [];
    for (const path of round % 2 === 0 ? (['orm', 'baseline'] as const) : (['baseline', 'orm'] as const)) {
      const stats = await measureOnFreshChats(pool, options[path][mutation], callers, `${mutation} ${path}`);
      result[path].push(stats);
      measured.push(`${path} ${((stats.calls / stats.elapsedMs) * 1000).toFixed(0)} ops/s`);
    }
    progress(`${mutation}, ${callers} callers on distinct chats, ${options.poolLabel}, round ${round + 1}/${options.rounds}: ${measured.join(', ')}`);
  }
  return result;
}

async function measureContention(pool: pg.Pool, scenario: string, path: ContentionResult['path'], callers: Mutation[]): Promise<ContentionResult> {
  progress(`contention: ${scenario} through ${path}, ${plan.contention.rounds} rounds of ${callers.length}`);
  const [chat] = await seedChats(pool, 1, model);
  if (!chat) throw new Error('bench: seeding returned no chat');
  const stats = await runOnOneChat({ callers, chat, rounds: plan.contention.rounds, nextRound: (current) => renewLatestTurn(pool, current, model) });
  return { scenario, path, rounds: plan.contention.rounds, stats };
}

function contentionCallers(paths: Paths, kind: MutationName | 'mixed'): Mutation[] {
  return Array.from({ length: plan.contention.callers }, (_, caller) => (kind === 'mixed' ? (caller % 2 === 0 ? paths.retry : paths.delete) : paths[kind]));
}

async function printStatements(databaseUrl: string, pool: pg.Pool, showSql: boolean): Promise<boolean> {
  const [forDelete, forRetry] = await seedChats(pool, 2, model);
  if (!forDelete || !forRetry) throw new Error('bench: seeding returned too few chats');
  const captured = await captureOrmStatements({ databaseUrl, catalog, chats: { delete: forDelete, retry: forRetry } });
  progress(`ORM statements: Delete ${captured.delete.length}, Retry ${captured.retry.length} (baseline ${baselineSequences.delete.length}, ${baselineSequences.retry.length})`);
  if (showSql) {
    for (const mutation of ['delete', 'retry'] as const) {
      process.stdout.write(`\n${mutation}, ORM as sent:\n${captured[mutation].map((sql, index) => `${index + 1}. ${sql}`).join('\n')}\n`);
      process.stdout.write(`\n${mutation}, pg baseline:\n${baselineSequences[mutation].map((name, index) => `${index + 1}. ${baselineStatement(name)}`).join('\n')}\n`);
    }
  }
  for (const mismatch of captured.mismatches) process.stdout.write(`STATEMENT MISMATCH: ${mismatch}\n`);
  return captured.mismatches.length === 0;
}

/** What the run measured so far; printed at the end, or when the deadline passes. */
type Results = { distinct: DistinctChatsResult[]; contention: ContentionResult[] };

/** Prints the result tables and any unexpected error; returns whether anything failed. */
function printResults(results: Results): boolean {
  const distinctRows = distinctChatsTable(results.distinct);
  const contentionRows = contentionTable(results.contention);
  process.stdout.write(`\n${markdownTable(distinctRows)}\n\n${markdownTable(contentionRows)}\n`);
  const runs = [...results.distinct.flatMap((cell) => [...cell.orm, ...cell.baseline]), ...results.contention.map((cell) => cell.stats)];
  for (const error of unexpectedErrors(runs)) process.stdout.write(`unexpected error: ${error}\n`);
  return [...distinctRows.slice(1), ...contentionRows.slice(1)].some((row) => row.at(-1)?.startsWith('FAIL'));
}

async function warmUp(pool: pg.Pool, paths: Record<'orm' | 'baseline', Paths>): Promise<void> {
  progress('warming up both paths');
  for (const mutation of ['delete', 'retry'] as const) {
    for (const path of ['orm', 'baseline'] as const) {
      const chats = await seedChats(pool, 2_000, model);
      const stats = await runOnDistinctChats({ mutate: paths[path][mutation], chats, callers: 8, durationMs: plan.warmUpMs[path] });
      expectedOpsPerSecond.set(`${mutation} ${path}`, (stats.calls / stats.elapsedMs) * 1000);
    }
  }
}

async function runScenarios(databaseUrl: string, pool: pg.Pool, orm: MikroORM, results: Results): Promise<void> {
  const baselineTransactions = pgTransactions(pool);
  const baseline: Paths = { delete: (chat) => sqlDelete(baselineTransactions, chat), retry: (chat) => sqlRetry(baselineTransactions, chat) };
  const paths = { orm: ormMutations(orm, catalog), baseline };
  await warmUp(pool, paths);
  for (const mutation of ['delete', 'retry'] as const) {
    for (const callers of plan.callers) results.distinct.push(await measureDistinctChats({ pool, ...paths, mutation, callers, rounds: plan.rounds, poolLabel: `pool ${plan.poolMax}` }));
  }
  const serviceOrm = await MikroORM.init(createOrmOptions({ databaseUrl }));
  try {
    const { callers, rounds } = plan.servicePool;
    for (const mutation of ['delete', 'retry'] as const) {
      results.distinct.push(await measureDistinctChats({ pool, orm: ormMutations(serviceOrm, catalog), baseline, mutation, callers, rounds, poolLabel: 'ORM pool 10' }));
    }
  } finally {
    await serviceOrm.close();
  }
  for (const kind of ['retry', 'delete', 'mixed'] as const) {
    const scenario = kind === 'mixed' ? '16 Retry + 16 Delete' : `${plan.contention.callers} ${kind === 'retry' ? 'Retry' : 'Delete'}`;
    results.contention.push(await measureContention(pool, scenario, 'ORM', contentionCallers(paths.orm, kind)));
    results.contention.push(await measureContention(pool, scenario, 'pg', contentionCallers(baseline, kind)));
  }
}

async function main(): Promise<void> {
  const results: Results = { distinct: [], contention: [] };
  const deadline = setTimeout(() => {
    progress(`the run passed its ${plan.deadlineMs / 1000} s deadline; giving up. Measured so far:`);
    printResults(results);
    process.exit(1);
  }, plan.deadlineMs);
  deadline.unref();
  progress(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  const adminUrl = process.env['DATABASE_URL'] || undefined;
  progress(adminUrl ? 'starting a bench database on DATABASE_URL' : 'starting embedded PostgreSQL');
  const database = await startBenchDatabase(adminUrl);
  const pool = openPgPool(database.databaseUrl, plan.poolMax, progress);
  const orm = await MikroORM.init({ ...createOrmOptions({ databaseUrl: database.databaseUrl }), pool: { max: plan.poolMax } });
  let failed = false;
  try {
    failed = !(await printStatements(database.databaseUrl, pool, process.argv.includes('--show-sql')));
    await runScenarios(database.databaseUrl, pool, orm, results);
    failed = printResults(results) || failed;
  } finally {
    progress(`done; load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}; stopping`);
    await orm.close();
    await endPool(pool);
    await database.stop();
  }
  if (failed) process.exitCode = 1;
}

await main();
