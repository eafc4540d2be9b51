import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { Socket } from 'node:net';

type RequestHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** A listening server and the way to stop it. */
export type RunningHttpServer = {
  readonly port: number;
  /** Stops accepting, lets open calls finish for up to `graceMs`, then drops what is left. */
  close(graceMs: number): Promise<void>;
};

/** Every HTTP/2 connection with prior knowledge starts with this preface (RFC 9113 §3.4). */
const http2Preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Serves one handler on one cleartext port for both HTTP/2 (gRPC, gRPC-Web, Connect) and HTTP/1.1
 * (Connect with JSON from curl). The first bytes of a connection decide: the HTTP/2 preface goes to
 * the HTTP/2 server, anything else to the HTTP/1.1 server.
 */
export async function startHttpServer(options: { host: string; port: number; handler: RequestHandler }): Promise<RunningHttpServer> {
  const h2 = http2.createServer({}, options.handler);
  const h1 = http.createServer(options.handler);
  const sockets = new Set<Socket>();
  // HTTP/1.1 keep-alive sockets with no request in flight can be closed at once on shutdown.
  const activeRequestsBySocket = new Map<Socket, number>();
  let isClosing = false;
  h1.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    activeRequestsBySocket.set(socket, (activeRequestsBySocket.get(socket) ?? 0) + 1);
    if (isClosing) res.setHeader('connection', 'close');
    res.on('close', () => {
      const left = (activeRequestsBySocket.get(socket) ?? 1) - 1;
      activeRequestsBySocket.set(socket, left);
      if (isClosing && left === 0) socket.end();
    });
  });
  const sessions = new Set<http2.Http2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });

  const dispatch = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      activeRequestsBySocket.delete(socket);
    });
    socket.once('readable', () => {
      const head: Buffer | null = socket.read();
      if (head === null) return;
      socket.unshift(head);
      const isHttp2 = head.subarray(0, http2Preface.length).equals(http2Preface.subarray(0, Math.min(head.length, http2Preface.length)));
      if (!isHttp2) activeRequestsBySocket.set(socket, 0);
      (isHttp2 ? h2 : h1).emit('connection', socket);
    });
  };
  const listener = net.createServer({ pauseOnConnect: false }, dispatch);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.host, () => resolve());
  });
  const address = listener.address();
  const port = typeof address === 'object' && address ? address.port : options.port;

  return {
    port,
    async close(graceMs) {
      const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
      // GOAWAY lets clients finish open streams and stop opening new ones.
      isClosing = true;
      for (const session of sessions) session.close();
      for (const [socket, active] of activeRequestsBySocket) if (active === 0) socket.end();
      const graceTimer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await stopped;
      clearTimeout(graceTimer);
    },
  };
}
