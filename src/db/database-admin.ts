import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';

/** Options of {@link createDatabase}. */
export type CreateDatabaseOptions = {
  /** Copy this database (schema and rows) instead of `template1`; it must have no open connections. */
  readonly template?: string;
};

/**
 * Creates the database `name` on the server of `adminDatabaseUrl` unless it already exists.
 * Returns whether it was created.
 */
export async function createDatabaseIfMissing(
  adminDatabaseUrl: string,
  name: string,
  options: CreateDatabaseOptions = {},
): Promise<boolean> {
  return withAdminConnection(adminDatabaseUrl, async (orm) => {
    const connection = orm.em.getConnection();
    const existing = await connection.execute('select 1 from pg_database where datname = ?', [name]);
    if (existing.length > 0) return false;
    const template = options.template === undefined ? '' : ` template ${quote(orm, options.template)}`;
    await connection.execute(`create database ${quote(orm, name)}${template}`);
    return true;
  });
}

/** Drops the database `name`, disconnecting whoever is still connected to it. */
export async function dropDatabase(adminDatabaseUrl: string, name: string): Promise<void> {
  await withAdminConnection(adminDatabaseUrl, async (orm) => {
    await orm.em.getConnection().execute(`drop database if exists ${quote(orm, name)} with (force)`);
  });
}

/** Returns `databaseUrl` with its database name replaced by `name`. */
export function withDatabaseName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

// A bare MikroORM connection (no entities) instead of `pg` directly: it is typed and already a dependency.
async function withAdminConnection<T>(adminDatabaseUrl: string, fn: (orm: MikroORM) => Promise<T>): Promise<T> {
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: adminDatabaseUrl,
    entities: [],
    discovery: { warnWhenNoEntities: false },
    ensureDatabase: false,
  });
  try {
    return await fn(orm);
  } finally {
    await orm.close();
  }
}

function quote(orm: MikroORM, identifier: string): string {
  return orm.em.getPlatform().quoteIdentifier(identifier);
}
