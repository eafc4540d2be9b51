import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase } from '../../../src/db/embedded-database.ts';
import { openOrm, runMigrations } from '../../../src/db/orm.ts';
import { eventually } from '../../support/eventually.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mini-chat-embedded-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs `body` in a Node child process where `db` is an embedded database started in `dataDir`. */
function spawnWithEmbeddedDatabase(body: string) {
  const modules = (name: string) => JSON.stringify(new URL(`../../../src/db/${name}`, import.meta.url).href);
  const script = `
    const { startEmbeddedDatabase } = await import(${modules('embedded-database.ts')});
    const { createDatabaseIfMissing } = await import(${modules('database-admin.ts')});
    const db = await startEmbeddedDatabase({ dataDir: ${JSON.stringify(dataDir)} });
    ${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '--eval', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const wake of waiters.splice(0)) wake();
  });
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    exitCode,
    output: () => output,
    line: async (text: string) => {
      while (!output.includes(text)) {
        await Promise.race([new Promise<void>((wake) => waiters.push(wake)), exitCode.then(() => expect.fail(output))]);
      }
    },
  };
}

async function withOrm<T>(databaseUrl: string, fn: (orm: Awaited<ReturnType<typeof openOrm>>) => Promise<T>): Promise<T> {
  const orm = await openOrm({ databaseUrl });
  try {
    return await fn(orm);
  } finally {
    await orm.close();
  }
}

describe('startEmbeddedDatabase', () => {
  it('leaves SIGTERM to the application, whose graceful shutdown can still use the database', async () => {
    const child = spawnWithEmbeddedDatabase(`
      process.once('SIGTERM', async () => {
        await createDatabaseIfMissing(db.adminDatabaseUrl, 'minichat');
        console.log('queried after SIGTERM');
        await db.stop();
        process.exit(0);
      });
      console.log('ready');
    `);
    await child.line('ready');

    child.process.kill('SIGTERM');

    expect(await child.exitCode).toBe(0);
    expect(child.output()).toContain('queried after SIGTERM');
  });

  it('shuts the server down when its process exits without stop(), so the next start finds the folder free', async () => {
    const child = spawnWithEmbeddedDatabase(`process.exit(0);`);
    expect(await child.exitCode).toBe(0);

    // PostgreSQL removes its lock file as the last step of its shutdown
    await eventually(() => expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false), { timeoutMs: 10_000 });
    const next = await startEmbeddedDatabase({ dataDir });
    await next.stop();
  });

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
