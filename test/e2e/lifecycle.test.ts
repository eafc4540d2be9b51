import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startServerProcess } from '../support/server-process.ts';
import { aUser } from '../support/tokens.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.drop();
});

async function runMainWith(env: Record<string, string>) {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.databaseUrl, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'exit');
  return { code: code as number, stderr };
}

describe('process lifecycle', () => {
  it('stops on SIGTERM after finishing, and exits 0', async () => {
    const server = await startServerProcess({ databaseUrl: database.databaseUrl });
    const user = await aUser();
    await clientsFor(server.baseUrl).chats.listChats({}, { headers: user.headers });
    expect(await server.stop(), server.output.join('\n')).toBe(0);
    expect(server.output.some((line) => line.includes('"msg":"stopped"'))).toBe(true);
  });

  it('refuses to start with bad configuration, naming every bad variable and the expected form', async () => {
    const { code, stderr } = await runMainWith({ PORT: 'eighty', HEARTBEAT_INTERVAL: '15', LLM_PROVIDER: 'gpt' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('PORT: expected a TCP port');
    expect(stderr).toContain('HEARTBEAT_INTERVAL: expected a positive duration with a unit');
    expect(stderr).toContain("LLM_PROVIDER: expected 'echo' or 'openai'");
  });

  it.each([
    ['a file that does not exist', undefined, 'cannot read the file (ENOENT)'],
    ['a file that is not JSON', '[{"id": "small",', 'not valid JSON'],
    ['a model whose output limit fills its context', JSON.stringify([{ id: 'm', provider_model: 'm', context_window_tokens: 4096, max_output_tokens: 4096 }]), 'max_output_tokens must be below context_window_tokens'],
    ['a model without a context window', JSON.stringify([{ id: 'm', provider_model: 'm', max_output_tokens: 10 }]), '0.context_window_tokens'],
  ])('refuses to start with a MODEL_CATALOG of %s, before touching the database: exit 2 and a message naming the variable', async (_name, content, problem) => {
    const directory = await mkdtemp(path.join(tmpdir(), 'mini-chat-catalog-'));
    const catalogPath = path.join(directory, 'catalog.json');
    if (content !== undefined) await writeFile(catalogPath, content);
    try {
      const { code, stderr } = await runMainWith({ MODEL_CATALOG: catalogPath, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
      expect(code).toBe(2);
      expect(stderr).toContain(`mini-chat: MODEL_CATALOG ${catalogPath}: `);
      expect(stderr).toContain(problem);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('refuses a production start without a signing key', async () => {
    const { code, stderr } = await runMainWith({ NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('AUTH_JWT_SECRET or AUTH_JWKS_URL');
  });
});
