import type { MikroORM } from '@mikro-orm/postgresql';
import { openOrm } from '../../src/db/orm.ts';
import { runInTransaction } from '../../src/db/transaction.ts';
import { createModelCatalog } from '../../src/llm/model-catalog.ts';
import { startBenchDatabase } from '../bench-database.ts';
import { median } from '../percentile.ts';
import { pgTransactions, type SqlTransactions, sqlDelete, sqlRetry } from './baseline-mutations.ts';
import { ormMutations } from './orm-mutations.ts';
import { endPool, openPgPool } from './pg-pool.ts';
import { type Mutation, runOnDistinctChats } from './run-callers.ts';
import { seedChats } from './seed-chats.ts';

/**
 * Where the ORM path's time goes (docs/benchmarks.md, "Mutations"): Delete and Retry on distinct
 * chats three ways — the use cases (entities, query builder, unit of work), the baseline's
 * hand-written statements run through the ORM's own transaction (`runInTransaction`, `tx.execute`,
 * MikroORM's connection and kysely, no entities), and the same statements through `pg`. The gap
 * between the first two is the entity layer; between the last two, the ORM's transport.
 * `npm exec -- node bench/mutations/orm-cost-split.ts [callers]`.
 */
const plan = { callers: Number(process.argv[2] ?? 8), rounds: 4, measureMs: 2_500, chatsPerWindow: 1_500 };
const model = 'echo';
const catalog = createModelCatalog([{ id: model, providerModel: model, contextWindowTokens: 128_000, maxOutputTokens: 4_096, isDefault: true }]);

/**
 * The baseline's statements inside `runInTransaction`. MikroORM takes `?` placeholders; every
 * baseline statement uses `$1 … $n` once each in ascending order, so the rewrite keeps the binding.
 */
function ormRawTransactions(orm: MikroORM): SqlTransactions {
  return (fn) => runInTransaction(orm.em, (tx) => fn({ query: async (text, values = []) => ({ rows: await tx.execute(text.replace(/\$\d+/g, '?'), values) }) }));
}

async function main(): Promise<void> {
  const database = await startBenchDatabase(process.env['DATABASE_URL'] || undefined);
  const pool = openPgPool(database.databaseUrl, plan.callers, (message) => process.stderr.write(`${message}\n`));
  const orm = await openOrm({ databaseUrl: database.databaseUrl });
  try {
    const useCases = ormMutations(orm, catalog);
    const [ormRaw, viaPg] = [ormRawTransactions(orm), pgTransactions(pool)];
    const variants: Array<[string, Record<'delete' | 'retry', Mutation>]> = [
      ['use case (entities)', useCases],
      ['ORM tx + raw SQL', { delete: (chat) => sqlDelete(ormRaw, chat), retry: (chat) => sqlRetry(ormRaw, chat) }],
      ['pg', { delete: (chat) => sqlDelete(viaPg, chat), retry: (chat) => sqlRetry(viaPg, chat) }],
    ];
    for (const mutation of ['delete', 'retry'] as const) {
      const figures = new Map<string, { opsPerSecond: number[]; cpuMs: number[] }>();
      // The first round warms up (JIT), and is not reported.
      for (let round = 0; round <= plan.rounds; round += 1) {
        for (const [name, paths] of round % 2 === 0 ? variants : [...variants].reverse()) {
          const chats = await seedChats(pool, plan.chatsPerWindow, model);
          const stats = await runOnDistinctChats({ mutate: paths[mutation], chats, callers: plan.callers, durationMs: plan.measureMs });
          const unexpected = Object.keys(stats.outcomes).filter((outcome) => outcome !== 'ok');
          if (unexpected.length > 0) throw new Error(`${name} ${mutation}: ${unexpected.join(', ')}`);
          if (round === 0) continue;
          const entry = figures.get(name) ?? { opsPerSecond: [], cpuMs: [] };
          entry.opsPerSecond.push((stats.calls / stats.elapsedMs) * 1000);
          entry.cpuMs.push(stats.clientCpuMsPerCall);
          figures.set(name, entry);
        }
      }
      for (const [name] of variants) {
        const entry = figures.get(name) ?? { opsPerSecond: [], cpuMs: [] };
        const rounds = entry.opsPerSecond.map((value) => value.toFixed(0)).join(', ');
        process.stdout.write(`${mutation} ${plan.callers} callers, ${name}: ${median(entry.opsPerSecond).toFixed(0)} ops/s [${rounds}], client CPU ${median(entry.cpuMs).toFixed(2)} ms/op\n`);
      }
    }
  } finally {
    await orm.close();
    await endPool(pool);
    await database.stop();
  }
}

await main();
