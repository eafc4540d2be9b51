import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase } from '../../../src/db/embedded-database.ts';
import { openOrm, runMigrations } from '../../../src/db/orm.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mini-chat-embedded-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function withOrm<T>(databaseUrl: string, fn: (orm: Awaited<ReturnType<typeof openOrm>>) => Promise<T>): Promise<T> {
  const orm = await openOrm({ databaseUrl });
  try {
    return await fn(orm);
  } finally {
    await orm.close();
  }
}

describe('startEmbeddedDatabase', () => {
  it('keeps the migrated schema and its rows across a restart on the same data folder', async () => {
    const first = await startEmbeddedDatabase({ dataDir });
    try {
      await withOrm(first.databaseUrl, async (orm) => {
        await runMigrations(orm);
        await orm.em.fork().execute(`insert into chats (id, tenant_id, user_id, title, model, created_at, updated_at)
          values ('00000000-0000-4000-8000-000000000001', gen_random_uuid(), gen_random_uuid(), 'kept', 'echo', now(), now())`);
      });
    } finally {
      await first.stop();
    }

    const second = await startEmbeddedDatabase({ dataDir });
    try {
      const titles = await withOrm(second.databaseUrl, async (orm) => {
        expect(await runMigrations(orm)).toEqual([]);
        return orm.em.fork().execute<Array<{ title: string }>>('select title from chats');
      });
      expect(titles).toEqual([{ title: 'kept' }]);
    } finally {
      await second.stop();
    }
  });

  it('listens on loopback only', async () => {
    const server = await startEmbeddedDatabase({ dataDir });
    try {
      const rows = await withOrm(server.databaseUrl, (orm) =>
        orm.em.fork().execute<Array<{ listen: string }>>(`select current_setting('listen_addresses') as listen`),
      );
      expect(new URL(server.databaseUrl).hostname).toBe('127.0.0.1');
      expect(rows).toEqual([{ listen: '127.0.0.1' }]);
    } finally {
      await server.stop();
    }
  });
});
