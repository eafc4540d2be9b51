import type { HandlerContext, Interceptor } from '@connectrpc/connect';
import { TurnError } from '../../domain/errors.ts';
import { isAllowed, type Access, type Caller } from '../auth/caller.ts';
import type { TokenVerifier } from '../auth/token-verifier.ts';
import { callerKey } from '../context-keys.ts';

/** Reflection and health answer without a token (api.md "Transport"). */
const publicServices = new Set([
  'grpc.health.v1.Health',
  'grpc.reflection.v1.ServerReflection',
  'grpc.reflection.v1alpha.ServerReflection',
]);

/** Get and List calls read; everything else changes state. */
function accessFor(methodName: string): Access {
  return /^(Get|List)/.test(methodName) ? 'read' : 'write';
}

/**
 * Verifies the bearer token, enforces the method's scope and puts the caller into the request's
 * context values, where every handler reads it (`requireCaller`).
 */
export function authInterceptor(verifyToken: TokenVerifier): Interceptor {
  return (next) => async (req) => {
    if (publicServices.has(req.service.typeName)) return next(req);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header.get('authorization') ?? '');
    if (!match?.[1]) throw new TurnError('UNAUTHENTICATED', 'missing bearer token in the authorization header');
    const caller = await verifyToken(match[1]);
    const access = accessFor(req.method.name);
    if (!isAllowed(caller, access)) {
      throw new TurnError('FORBIDDEN', `the token lacks the ${access} scope for ${req.method.name}`, {
        metadata: { required_scope: `ai:mini_chat:${access}` },
      });
    }
    req.contextValues.set(callerKey, caller);
    return next(req);
  };
}

/** The caller of this request; the auth interceptor guarantees one for every non-public method. */
export function requireCaller(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw new TurnError('UNAUTHENTICATED', 'no authenticated caller');
  return caller;
}
