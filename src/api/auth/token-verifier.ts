import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import { TurnError } from '../../domain/errors.ts';
import type { Caller } from './caller.ts';

export type TokenVerifierOptions = {
  /** HS256 key: the UTF-8 bytes of AUTH_JWT_SECRET. */
  readonly jwtSecret?: string;
  /** Asymmetric keys (RS256, ES256, EdDSA, …) fetched and cached from a JWKS endpoint. */
  readonly jwksUrl?: string;
  readonly issuer?: string;
  readonly audience?: string;
};

export type TokenVerifier = (token: string) => Promise<Caller>;

const asymmetricAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const claimsSchema = z.object({
  sub: z.uuid(),
  tenant_id: z.uuid(),
  scope: z.string().default(''),
  subject_type: z.enum(['user', 'system']).default('user'),
});

function unauthenticated(message: string, cause?: unknown): TurnError {
  return new TurnError('UNAUTHENTICATED', message, { cause });
}

/**
 * Builds the verifier for bearer tokens. Only HS256 (with the shared secret) and the asymmetric
 * algorithms of the JWKS are accepted, so `alg: none` and algorithm-confusion tokens fail; expiry,
 * not-before, issuer and audience are checked by jose.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const secret = options.jwtSecret === undefined ? undefined : new TextEncoder().encode(options.jwtSecret);
  const jwks = options.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(options.jwksUrl));
  const checks = { issuer: options.issuer, audience: options.audience };

  const verifySignature = async (token: string): Promise<JWTPayload> => {
    const { alg } = decodeProtectedHeader(token);
    if (alg === 'HS256' && secret) return (await jwtVerify(token, secret, { ...checks, algorithms: ['HS256'] })).payload;
    if (alg !== 'HS256' && jwks) return (await jwtVerify(token, jwks, { ...checks, algorithms: asymmetricAlgorithms })).payload;
    throw unauthenticated(`token algorithm ${String(alg)} is not accepted`);
  };

  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verifySignature(token);
    } catch (error) {
      if (error instanceof TurnError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('token expired', error);
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) throw unauthenticated('invalid token', error);
      throw error;
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw unauthenticated('token claims must include sub and tenant_id as UUIDs');
    return {
      tenantId: claims.data.tenant_id,
      userId: claims.data.sub,
      subjectType: claims.data.subject_type,
      scopes: new Set(claims.data.scope.split(' ').filter(Boolean)),
    };
  };
}
