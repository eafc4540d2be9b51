import { spawn } from 'node:child_process';
import { once } from 'node:events';
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

  it('refuses a production start without a signing key', async () => {
    const { code, stderr } = await runMainWith({ NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(stderr).toContain('AUTH_JWT_SECRET or AUTH_JWKS_URL');
  });
});
