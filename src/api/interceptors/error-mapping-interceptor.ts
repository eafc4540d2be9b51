import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { TurnError } from '../../domain/errors.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { ReaderStalledError } from '../../use-cases/stream-turn.ts';
import { connectErrorFromTurnError, internalError } from '../error-mapping.ts';
import { oversizedRequestError, requestProgressKey, undecodableRequestError } from '../undecodable-requests.ts';

/**
 * Converts whatever a handler throws into the status the client sees, for unary calls and for
 * failures in the middle of a response stream. Unexpected errors are logged here, once.
 */
export function errorMappingInterceptor(logger: Logger): Interceptor {
  const toConnectError = (error: unknown, procedure: string): ConnectError => {
    if (error instanceof TurnError) return connectErrorFromTurnError(error);
    // Our side ended the stream of a reader that stopped reading; like a deadline, a status of the
    // call itself, so no reason of api.md's table applies.
    if (error instanceof ReaderStalledError) return new ConnectError(error.message, Code.Canceled);
    // Inside the interceptors the only INTERNAL Connect-ES raises itself is a request message it
    // could not decode (streaming methods decode after the interceptors ran); ours are made below.
    if (error instanceof ConnectError && error.code === Code.Internal) return undecodableRequestError(error);
    // Likewise the only RESOURCE_EXHAUSTED it raises: a streaming request body over `readMaxBytes`.
    if (error instanceof ConnectError && error.code === Code.ResourceExhausted) return oversizedRequestError(error);
    // Statuses raised by the framework or the client (cancelled, deadline, unimplemented) stay as they are.
    if (error instanceof ConnectError) return error;
    logger.error({ err: error, procedure }, 'unexpected error');
    return internalError(error, undefined);
  };
  return (next) => async (req) => {
    const progress = req.contextValues.get(requestProgressKey);
    if (progress) progress.hasReachedInterceptors = true;
    const procedure = `${req.service.typeName}/${req.method.name}`;
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return { ...res, message: mapStreamErrors(res.message, (error) => toConnectError(error, procedure)) };
    } catch (error) {
      throw toConnectError(error, procedure);
    }
  };
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, map: (error: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw map(error);
  }
}
