import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

/** The HS256 secret every spawned test server is configured with. */
export const testJwtSecret = 'test-secret-for-mini-chat-e2e-tests-0123456789';

export type TokenOptions = {
  tenantId?: string;
  userId?: string;
  scope?: string;
  subjectType?: 'user' | 'system';
  expiresIn?: string;
  secret?: string;
};

/** A signed bearer token for a (by default fresh) tenant and user with full scope. */
export async function signToken(options: TokenOptions = {}): Promise<string> {
  return new SignJWT({
    tenant_id: options.tenantId ?? randomUUID(),
    scope: options.scope ?? 'ai:mini_chat',
    subject_type: options.subjectType ?? 'user',
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId ?? randomUUID())
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(new TextEncoder().encode(options.secret ?? testJwtSecret));
}

/** A caller identity and its token, for tests that need to act as one user repeatedly. */
export async function aUser(options: { tenantId?: string; scope?: string } = {}) {
  const tenantId = options.tenantId ?? randomUUID();
  const userId = randomUUID();
  const token = await signToken({ tenantId, userId, scope: options.scope });
  return { tenantId, userId, token, headers: { authorization: `Bearer ${token}` } };
}
