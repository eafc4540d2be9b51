import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { DeleteResponseSchema, GetTurnResponseSchema, TurnService } from '../gen/minichat/v1/turn_service_pb.ts';
import { deleteTurn } from '../use-cases/delete-turn.ts';
import { editTurn } from '../use-cases/edit-turn.ts';
import { retryTurn } from '../use-cases/retry-turn.ts';
import { generateTurn, type GenerateTurnDeps } from '../use-cases/generate-turn.ts';
import { getTurn } from '../use-cases/get-turn.ts';
import { toTurnEventStream, toTurnProto } from './converters/turn-converters.ts';
import { requesterOf } from './requester.ts';
import { parseDeleteRequest, parseEditRequest, parseGenerateRequest, parseGetTurnRequest, parseRetryRequest } from './validation/turn-requests.ts';

export type TurnServiceDeps = GenerateTurnDeps & { readonly maxMessageBytes: number };

/**
 * TurnService's answers are never compressed, even for a client that offers gzip (the rest of the
 * API compresses answers above Connect's 1 KiB). A turn stream is the path whose latency we
 * promise: its deltas are text as it arrives (a few bytes each, or up to the 16 Ki-character read-ahead
 * limit when a reader falls behind), and gzip on each of them costs both ends CPU on that path: in
 * the 1 MB throughput profile it was 2–3 % of the service's CPU, and the client inflates it again.
 */
const uncompressedAnswers = { compressMinBytes: Number.MAX_SAFE_INTEGER };

/**
 * `minichat.v1.TurnService`. Streams pass the call's signal down, so a client cancel, a deadline or
 * the server's shutdown aborts the model request and finalizes the turn as cancelled. Each stream
 * is one generator layer (`toTurnEventStream`) over the use case's: the request is parsed inside it,
 * on the first pull, as it was when the handlers were generators themselves.
 */
export function registerTurnService(router: ConnectRouter, deps: TurnServiceDeps): void {
  router.service(TurnService, {
    generate: (req, ctx) => toTurnEventStream(() => generateTurn(deps, { requester: requesterOf(ctx), ...parseGenerateRequest(req, deps) }, ctx.signal)),
    retry: (req, ctx) => toTurnEventStream(() => retryTurn(deps, { requester: requesterOf(ctx), ...parseRetryRequest(req) }, ctx.signal)),
    edit: (req, ctx) => toTurnEventStream(() => editTurn(deps, { requester: requesterOf(ctx), ...parseEditRequest(req, deps) }, ctx.signal)),
    async delete(req, ctx) {
      await deleteTurn(deps.orm, { requester: requesterOf(ctx), ...parseDeleteRequest(req) });
      return create(DeleteResponseSchema, {});
    },
    async getTurn(req, ctx) {
      const turn = await getTurn(deps.orm, { requester: requesterOf(ctx), ...parseGetTurnRequest(req) });
      return create(GetTurnResponseSchema, { turn: toTurnProto(turn) });
    },
  }, uncompressedAnswers);
}
