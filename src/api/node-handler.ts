import type http from 'node:http';
import type http2 from 'node:http2';
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import type { UniversalHandler } from '@connectrpc/connect/protocol';
import type { Logger } from '../telemetry/logger.ts';
import { mapUndecodableResponse, requestContextValues, requestProgressKey } from './undecodable-requests.ts';

type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/**
 * The Node request handler for every route: what `connectNodeAdapter` does, plus the one thing it
 * cannot — answering an undecodable request body with INVALID_ARGUMENT (see undecodable-requests.ts).
 */
export function createNodeHandler(options: ConnectRouterOptions & { routes: (router: ConnectRouter) => void; logger: Logger }) {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...options });
  options.routes(router);
  const handlers = new Map<string, UniversalHandler>(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (req: NodeRequest, res: NodeResponse): void => {
    const handler = handlers.get(req.url?.split('?', 2)[0] ?? '');
    if (!handler) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const contextValues = requestContextValues();
    const universalRequest = universalRequestFromNodeRequest(req, res, undefined, contextValues);
    handler(universalRequest)
      .then((response) => universalResponseToNodeResponse(mapUndecodableResponse(response, contextValues.get(requestProgressKey)), res))
      .catch((reason: unknown) => {
        // The client went away while the response was written: nothing left to answer.
        if (ConnectError.from(reason).code === Code.Aborted) return;
        options.logger.error({ err: reason, procedure: `${handler.service.typeName}/${handler.method.name}` }, 'writing the response failed');
      });
  };
}
