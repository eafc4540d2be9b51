import type { HandlerContext } from '@connectrpc/connect';
import { activeSpanIds } from '../telemetry/spans.ts';
import type { Requester } from '../use-cases/chat-commands.ts';
import { requireCaller } from './interceptors/auth-interceptor.ts';

/**
 * The use cases' view of the authenticated caller of this call. The actor carries the trace id of
 * the call's span (active here: the telemetry interceptor runs handlers in it), so every audit
 * event this call causes has the call's `trace_id`; without a tracer there is none.
 */
export function requesterOf(ctx: HandlerContext): Requester {
  const caller = requireCaller(ctx);
  const traceId = activeSpanIds()?.traceId;
  return {
    owner: { tenantId: caller.tenantId, userId: caller.userId },
    actor: { tenantId: caller.tenantId, userId: caller.userId, requesterType: caller.subjectType, ...(traceId ? { traceId } : {}) },
  };
}
