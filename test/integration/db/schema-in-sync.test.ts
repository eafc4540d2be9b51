import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

describe('entities and migrations', () => {
  it('leave no pending migration in a database made from the test template', async () => {
    expect(await database.orm.migrator.getPending()).toEqual([]);
  });

  // Catches a hand-edited migration or an entity changed without a migration, against the real
  // schema the migrations built (indexes, partial predicates, CHECKs and foreign keys included).
  it('describe exactly the schema the migrations create', async () => {
    const diff = await database.orm.schema.getUpdateSchemaSQL({ wrap: false });

    expect(diff).toBe('');
  });

  // What `npm run migration:check` verifies: the committed snapshot, from which the next
  // `npm run migration:create` diffs, matches the entities.
  it('match the committed schema snapshot, so the next generated migration starts from the truth', async () => {
    const needsMigration = await database.orm.migrator.checkSchema();

    expect(needsMigration).toBe(false);
  });
});
