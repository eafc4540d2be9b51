import type { HandlerContext } from '@connectrpc/connect';
import type { Requester } from '../use-cases/chat-commands.ts';
import { requireCaller } from './interceptors/auth-interceptor.ts';

/** The use cases' view of the authenticated caller of this call. */
export function requesterOf(ctx: HandlerContext): Requester {
  const caller = requireCaller(ctx);
  return {
    owner: { tenantId: caller.tenantId, userId: caller.userId },
    actor: { tenantId: caller.tenantId, userId: caller.userId, requesterType: caller.subjectType },
  };
}
