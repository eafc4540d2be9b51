import http2 from 'node:http2';

/**
 * Sends one gRPC request with a hand-made body over HTTP/2 and returns the status it ended with:
 * the way to send a client bug (a body that is not the message it claims to be) that no generated
 * client would produce.
 */
export async function rawGrpcCall(address: string, options: { path: string; token: string; payload: Uint8Array; isCompressed?: boolean }) {
  const session = http2.connect(`http://${address}`);
  try {
    const frame = Buffer.alloc(5 + options.payload.length);
    frame.writeUInt8(options.isCompressed ? 1 : 0, 0);
    frame.writeUInt32BE(options.payload.length, 1);
    frame.set(options.payload, 5);
    const stream = session.request({
      ':method': 'POST',
      ':path': options.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${options.token}`,
    });
    stream.end(frame);
    const headers: Record<string, unknown> = {};
    stream.on('response', (h) => Object.assign(headers, h));
    stream.on('trailers', (t) => Object.assign(headers, t));
    stream.resume();
    await new Promise<void>((resolve, reject) => {
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    return {
      status: Number(headers['grpc-status']),
      message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
      hasDetails: typeof headers['grpc-status-details-bin'] === 'string',
    };
  } finally {
    session.close();
  }
}
