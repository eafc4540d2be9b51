import { join } from 'node:path';
import { startEmbeddedDatabase } from './embedded-database.ts';
import { openOrm, runMigrations } from './orm.ts';

/** What `npm run migrate` needs to know. */
export type MigrateSettings = {
  /** The database to migrate; absent means the embedded database under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
};

/**
 * Reads exactly `DATABASE_URL` and `DATA_DIR` (default `.data`). Temporary: once
 * `src/config/config.ts`'s `loadConfig` is settled, it replaces this, as the only reader of the environment.
 */
export function readMigrateSettings(env: Record<string, string | undefined>): MigrateSettings {
  const databaseUrl = env['DATABASE_URL']?.trim();
  return { databaseUrl: databaseUrl === '' ? undefined : databaseUrl, dataDir: env['DATA_DIR'] ?? '.data' };
}

/**
 * Applies every pending migration to `DATABASE_URL`, or, without it, to the embedded database
 * under `DATA_DIR` (started for the run and stopped after). Exits non-zero on any failure.
 */
async function main(): Promise<void> {
  const settings = readMigrateSettings(process.env);
  if (settings.databaseUrl !== undefined) {
    await migrate(settings.databaseUrl, 'DATABASE_URL');
    return;
  }
  const embedded = await startEmbeddedDatabase({ dataDir: settings.dataDir });
  try {
    await migrate(embedded.databaseUrl, `embedded database in ${join(settings.dataDir, 'postgres')}`);
  } finally {
    await embedded.stop();
  }
}

async function migrate(databaseUrl: string, target: string): Promise<void> {
  const orm = await openOrm({ databaseUrl });
  try {
    const applied = await runMigrations(orm);
    console.log(applied.length === 0 ? `${target}: up to date` : `${target}: applied ${applied.join(', ')}`);
  } finally {
    await orm.close();
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
