import { Code } from '@connectrpc/connect';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, failureOf, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { signToken, testJwtSecret } from '../support/tokens.ts';

let database: TestDatabase;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  server = await startServerProcess({ databaseUrl: database.databaseUrl, env: { AUTH_ISSUER: 'https://issuer.test', AUTH_AUDIENCE: 'mini-chat' } });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  await server.stop();
  await sql.close();
  await database.drop();
});

const claims = { iss: 'https://issuer.test', aud: 'mini-chat' };

function bearer(token: string) {
  return { headers: { authorization: `Bearer ${token}` } };
}

async function validToken(overrides: { scope?: string; secret?: string; expiresIn?: string | number; iss?: string; aud?: string } = {}) {
  return new SignJWT({ tenant_id: crypto.randomUUID(), scope: overrides.scope ?? 'ai:mini_chat' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(crypto.randomUUID())
    .setIssuer(overrides.iss ?? claims.iss)
    .setAudience(overrides.aud ?? claims.aud)
    .setIssuedAt()
    .setExpirationTime(overrides.expiresIn ?? '5m')
    .sign(new TextEncoder().encode(overrides.secret ?? testJwtSecret));
}

describe('authentication', () => {
  const rejected: Array<[string, () => Promise<Record<string, unknown>>]> = [
    ['no authorization header', async () => ({})],
    ['a non-bearer authorization header', async () => ({ headers: { authorization: 'Basic dXNlcjpwYXNz' } })],
    ['an expired token', async () => bearer(await validToken({ expiresIn: Math.floor(Date.now() / 1000) - 60 }))],
    ['a token signed with another secret', async () => bearer(await validToken({ secret: 'another-secret-that-is-long-enough-to-be-hs256' }))],
    ['an unsigned alg:none token', async () => bearer(new UnsecuredJWT({ tenant_id: crypto.randomUUID(), scope: 'ai:mini_chat', ...claims }).setSubject(crypto.randomUUID()).setExpirationTime('5m').encode())],
    ['a token from another issuer', async () => bearer(await validToken({ iss: 'https://evil.test' }))],
    ['a token for another audience', async () => bearer(await validToken({ aud: 'other-service' }))],
    ['a token without tenant_id', async () => bearer(await signToken({ tenantId: 'not-a-uuid' }))],
    ['garbage instead of a JWT', async () => bearer('not.a.jwt')],
  ];

  it.each(rejected)('rejects %s with UNAUTHENTICATED', async (_name, options) => {
    const failure = await failureOf(client.chats.listChats({}, await options()));
    expect(failure).toMatchObject({ code: Code.Unauthenticated, reason: 'UNAUTHENTICATED', domain: 'minichat' });
  });

  it('accepts a valid token with the configured issuer and audience', async () => {
    const response = await client.chats.listChats({}, bearer(await validToken()));
    expect(response.chats).toEqual([]);
  });
});

describe('scopes', () => {
  it('refuses a write with a read-only token as PERMISSION_DENIED / FORBIDDEN, writing nothing', async () => {
    const before = await sql.count('chats');
    const failure = await failureOf(client.chats.createChat({ title: 'x' }, bearer(await validToken({ scope: 'ai:mini_chat:read' }))));
    expect(failure).toMatchObject({ code: Code.PermissionDenied, reason: 'FORBIDDEN' });
    expect(await sql.count('chats')).toBe(before);
  });

  it('refuses a read with a write-only token as PERMISSION_DENIED / FORBIDDEN', async () => {
    const failure = await failureOf(client.chats.listChats({}, bearer(await validToken({ scope: 'ai:mini_chat:write' }))));
    expect(failure).toMatchObject({ code: Code.PermissionDenied, reason: 'FORBIDDEN' });
  });

  it('refuses a token without any mini_chat scope', async () => {
    const failure = await failureOf(client.chats.listChats({}, bearer(await validToken({ scope: 'openid profile' }))));
    expect(failure).toMatchObject({ code: Code.PermissionDenied, reason: 'FORBIDDEN' });
  });

  it('lets the read scope read and the write scope write', async () => {
    const write = await validToken({ scope: 'ai:mini_chat:write' });
    const read = await validToken({ scope: 'ai:mini_chat:read' });
    await expect(client.chats.createChat({ title: 'ok' }, bearer(write))).resolves.toBeDefined();
    await expect(client.chats.listChats({}, bearer(read))).resolves.toBeDefined();
  });
});

describe('unauthenticated services', () => {
  it('answers reflection and health without a token', async () => {
    const response = await fetch(`${server.baseUrl}/grpc.health.v1.Health/Check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"service":""}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'SERVING' });
  });
});
