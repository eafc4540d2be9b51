import { fileURLToPath } from 'node:url';
import { MikroORM, type Options, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { AttachmentSchema } from './entities/attachment.entity.ts';
import { ChatSchema } from './entities/chat.entity.ts';
import { MessageAttachmentSchema } from './entities/message-attachment.entity.ts';
import { MessageSchema } from './entities/message.entity.ts';
import { OutboxChatSchema } from './entities/outbox-chat.entity.ts';
import { OutboxPublicationSchema } from './entities/outbox-publication.entity.ts';
import { OutboxRowSchema } from './entities/outbox-row.entity.ts';
import { TurnSchema } from './entities/turn.entity.ts';

/** How long any statement waits for a row or table lock before failing (see `driverOptions`). */
export const LOCK_TIMEOUT = '5s';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/** Options of {@link openOrm}. */
export type OpenOrmOptions = {
  readonly databaseUrl: string;
  /** Logs every SQL statement through MikroORM's logger. */
  readonly debug?: boolean;
};

/**
 * The one MikroORM configuration of the service, shared by {@link openOrm} and the MikroORM CLI
 * (`src/db/mikro-orm.config.ts`), so generated migrations always match what the service runs.
 */
export function createOrmOptions({ databaseUrl, debug = false }: OpenOrmOptions): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities: [ChatSchema, TurnSchema, MessageSchema, AttachmentSchema, MessageAttachmentSchema, OutboxRowSchema, OutboxChatSchema, OutboxPublicationSchema],
    extensions: [Migrator],
    // Every unit of work forks its own EntityManager; touching the global one is a bug.
    allowGlobalContext: false,
    // The database is created by whoever provides DATABASE_URL (or by the embedded database);
    // the ORM never creates databases behind our back.
    ensureDatabase: false,
    // The service runs its TypeScript sources directly (Node type stripping), migrations included.
    preferTs: true,
    // Every lock wait gives up after 5 s (SQLSTATE 55P03). Locks are held for milliseconds, never
    // across a model stream, so a longer wait means something is stuck: fail instead of piling up
    // requests behind it. Set once per connection (a startup parameter) rather than with a
    // `set local` in every transaction, which cost a round trip per unit of work.
    driverOptions: { options: `-c lock_timeout=${LOCK_TIMEOUT}` },
    debug,
    migrations: {
      path: migrationsFolder,
      pathTs: migrationsFolder,
      emit: 'ts',
      fileName: (timestamp, name) => `${timestamp}-${name ?? 'migration'}`,
      // The snapshot lets `migration:create` / `migration:check` diff entities offline; it is
      // written by `migration:create` only, never by a running service.
      snapshot: true,
      snapshotName: 'schema-snapshot',
      snapshotOnMigrate: false,
      // The caller logs what was applied (as JSON, through its own logger); no console output.
      silent: true,
    },
  };
}

/**
 * Opens (lazily connects) the ORM for one database. `allowGlobalContext` is off: callers fork
 * `orm.em` (see `runInTransaction`) for every unit of work. Close it with `orm.close()`.
 */
export async function openOrm(options: OpenOrmOptions): Promise<MikroORM> {
  return MikroORM.init(createOrmOptions(options));
}

/** Applies every pending migration, all of them in one transaction; returns the applied names. */
export async function runMigrations(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((migration) => migration.name);
}
