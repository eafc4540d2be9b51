import { DefaultLogger, type LogContext, MikroORM } from '@mikro-orm/postgresql';
import { createOrmOptions } from '../../src/db/orm.ts';
import type { ModelCatalog } from '../../src/llm/model-catalog.ts';
import { baselineSequences, baselineStatement } from './baseline-sql.ts';
import { ormMutations } from './orm-mutations.ts';
import type { SeededChat } from './seed-chats.ts';

/** What the ORM sent for one Delete and one Retry, and whether it matches the baseline's sequence. */
export type OrmStatements = {
  readonly delete: string[];
  readonly retry: string[];
  /** Empty when both sequences match the baseline statement for statement; otherwise what differs. */
  readonly mismatches: string[];
};

/**
 * Runs one Delete and one Retry through the use cases on an ORM of its own with query logging on
 * (the measured ORM logs nothing, as in the service) and records every statement sent, so the
 * baseline can be checked against what the ORM actually does on every run, not once by hand.
 */
export async function captureOrmStatements(options: {
  databaseUrl: string;
  catalog: ModelCatalog;
  chats: { delete: SeededChat; retry: SeededChat };
}): Promise<OrmStatements> {
  let recording: string[] = [];
  class RecordingLogger extends DefaultLogger {
    override logQuery(context: LogContext): void {
      if (context.query !== undefined) recording.push(context.query);
    }
  }
  const orm = await MikroORM.init({
    ...createOrmOptions({ databaseUrl: options.databaseUrl }),
    debug: ['query'],
    loggerFactory: (loggerOptions) => new RecordingLogger(loggerOptions),
  });
  try {
    const mutations = ormMutations(orm, options.catalog);
    await mutations.delete(options.chats.delete);
    const deleteStatements = recording;
    recording = [];
    await mutations.retry(options.chats.retry);
    const retryStatements = recording;
    return {
      delete: deleteStatements,
      retry: retryStatements,
      mismatches: [...compare('Delete', deleteStatements, baselineSequences.delete), ...compare('Retry', retryStatements, baselineSequences.retry)],
    };
  } finally {
    await orm.close();
  }
}

function compare(label: string, orm: readonly string[], baseline: readonly Parameters<typeof baselineStatement>[0][]): string[] {
  const ormShapes = orm.map(shapeOf);
  const baselineShapes = baseline.map((name) => shapeOf(baselineStatement(name)));
  const length = Math.max(ormShapes.length, baselineShapes.length);
  const differences: string[] = [];
  for (let index = 0; index < length; index += 1) {
    if (ormShapes[index] !== baselineShapes[index]) {
      differences.push(`${label} statement ${index + 1}: ORM "${ormShapes[index] ?? '(none)'}", baseline "${baselineShapes[index] ?? '(none)'}"`);
    }
  }
  return differences;
}

/**
 * A statement reduced to what the comparison is about: verb, table, the columns it filters on and
 * its lock clause, e.g. `select chats [id,tenant_id,user_id,deleted_at] for update`. Values,
 * parameters, quoting and aliases are dropped, so the ORM's inlined text and `$n` compare equal.
 */
export function shapeOf(sql: string): string {
  const text = sql.replaceAll('"', '').replace(/\b[a-z]\d+\./g, '').replace(/\s+/g, ' ').trim().toLowerCase();
  const verb = text.split(' ')[0] ?? '';
  const table = /^(?:insert into|update) (\w+)/.exec(text)?.[1] ?? / from (\w+)/.exec(text)?.[1] ?? /^select (\w+)\(/.exec(text)?.[1] ?? '';
  const where = / where (.*?)(?: order by | limit | for update|$)/.exec(text)?.[1] ?? '';
  const columns = [...where.matchAll(/(\w+) (?:=|is null|in )/g)].map((match) => match[1]);
  const lock = text.includes(' for update') ? ' for update' : '';
  if (verb === 'set') return text.replace(/'[^']*'/, '?');
  return `${verb} ${table}${columns.length > 0 ? ` [${columns.join(',')}]` : ''}${lock}`.trim();
}
