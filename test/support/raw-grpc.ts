import http2 from 'node:http2';

type RawGrpcRequest = { path: string; token: string; payload: Uint8Array; isCompressed?: boolean; headers?: http2.OutgoingHttpHeaders };

/**
 * Sends one gRPC request with a hand-made, length-prefixed body over its own HTTP/2 connection and
 * collects what comes back: the response headers and trailers merged, and the raw body.
 */
async function exchange(address: string, request: RawGrpcRequest): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  const session = http2.connect(`http://${address}`);
  try {
    const frame = Buffer.alloc(5 + request.payload.length);
    frame.writeUInt8(request.isCompressed ? 1 : 0, 0);
    frame.writeUInt32BE(request.payload.length, 1);
    frame.set(request.payload, 5);
    const stream = session.request({
      ':method': 'POST',
      ':path': request.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${request.token}`,
      ...request.headers,
    });
    stream.end(frame);
    const headers: Record<string, unknown> = {};
    stream.on('response', (h) => Object.assign(headers, h));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise<void>((resolve, reject) => {
      // The trailers end the response even when the server stopped reading a body too large for it,
      // and the stream, its request half still unsent, would never close.
      stream.on('trailers', (t) => {
        Object.assign(headers, t);
        resolve();
      });
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    stream.close();
    return { headers, body: Buffer.concat(chunks) };
  } finally {
    session.close();
  }
}

/**
 * Sends one gRPC request with a hand-made body over HTTP/2 and returns the status it ended with:
 * the way to send a client bug (a body that is not the message it claims to be) that no generated
 * client would produce.
 */
export async function rawGrpcCall(address: string, options: Omit<RawGrpcRequest, 'headers'>) {
  const { headers } = await exchange(address, options);
  return {
    status: Number(headers['grpc-status']),
    message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
    hasDetails: typeof headers['grpc-status-details-bin'] === 'string',
  };
}

/** One length-prefixed message of a gRPC response body, as it came over the wire. */
export type RawGrpcFrame = { readonly isCompressed: boolean; readonly length: number };

/**
 * Sends one gRPC request over HTTP/2 with `grpc-accept-encoding` set, and returns the response's
 * `grpc-encoding`, its messages' compressed flags and lengths, and its status: what a client that
 * offers compression is actually sent.
 */
export async function rawGrpcFrames(address: string, options: Omit<RawGrpcRequest, 'headers' | 'isCompressed'> & { acceptEncoding: string }) {
  const { headers, body } = await exchange(address, { ...options, headers: { 'grpc-accept-encoding': options.acceptEncoding } });
  const frames: RawGrpcFrame[] = [];
  for (let offset = 0; offset + 5 <= body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    frames.push({ isCompressed: body.readUInt8(offset) === 1, length });
    offset += 5 + length;
  }
  return { encoding: headers['grpc-encoding'], frames, status: Number(headers['grpc-status']) };
}
