import { createOrmOptions } from './orm.ts';

/**
 * Configuration for the MikroORM CLI only (`npm run migration:create`, `npm run migration:check`).
 * Both commands diff the entities against `migrations/schema-snapshot.json` and need no database.
 * A command that does connect takes the server from `MIKRO_ORM_CLIENT_URL`, which the CLI itself
 * reads and which overrides the placeholder below.
 */
export default createOrmOptions({ databaseUrl: 'postgresql://postgres@127.0.0.1:5432/minichat' });
