import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { answer, playBehaviour, type SseResponse, type StubBehaviour } from './openai-stub-behaviours.ts';

/** A write that has waited this long for 'drain' counts as stalled: the client stopped reading. */
const STALL_MS = 250;

/** What the stub saw of one request. Times are `performance.now()` of this process. */
export type RecordedRequest = {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body (`model`, `messages`, `stream_options`, `max_completion_tokens`...). */
  readonly body: unknown;
  readonly receivedAt: number;
  /** SSE events handed to `res.write()` so far, `[DONE]` included. */
  chunksWritten: number;
  /** How often `res.write()` returned false, i.e. the socket pushed back. */
  backedUpWrites: number;
  /**
   * When the first chunk with non-empty `content` was handed to `res.write()`: the provider's first
   * token, for time-to-first-token measurements against a client in this process (`bench/`).
   */
  firstPieceAt: number | undefined;
  /** Set when the client closed the connection before the response ended. */
  clientClosedAt: number | undefined;
  /** Resolves with `clientClosedAt`; never resolves when the response ends normally or the stub drops it. */
  readonly clientClosed: Promise<number>;
  /** Resolves with `chunksWritten` once a write has waited `STALL_MS` (250 ms) for 'drain'. */
  readonly stalled: Promise<number>;
};

export type OpenAIStubServer = {
  /** `http://127.0.0.1:<port>/v1`: the `OPENAI_BASE_URL` for a service under test. */
  readonly baseUrl: string;
  readonly requests: readonly RecordedRequest[];
  /** Sets how every following request is answered (default: answer ['Hello', ' world']). */
  respondWith(behaviour: StubBehaviour): void;
  /** Queues a behaviour for the next request only; queued ones are used before the default. */
  respondOnceWith(behaviour: StubBehaviour): void;
  /** Resolves when request number `index` (0 = the first) has arrived, at once if it already has. */
  waitForRequest(index?: number): Promise<RecordedRequest>;
  /** Ends every open response and stops listening. */
  close(): Promise<void>;
};

/**
 * Starts a real HTTP server on 127.0.0.1 (free port) speaking the OpenAI Chat Completions streaming
 * protocol at `POST /v1/chat/completions`, scripted per test (see `openai-stub-behaviours.ts`) and
 * recording every request. Writes honour backpressure: the stub waits for 'drain' like a real server.
 */
export async function startOpenAIStubServer(): Promise<OpenAIStubServer> {
  const requests: RecordedRequest[] = [];
  const waiters: { index: number; resolve: (request: RecordedRequest) => void }[] = [];
  const queued: StubBehaviour[] = [];
  let defaultBehaviour = answer(['Hello', ' world']);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const recording = recordRequest(req, res, JSON.parse(text));
    requests.push(recording.record);
    for (const waiter of waiters.filter((w) => w.index === requests.length - 1)) waiter.resolve(recording.record);

    const behaviour = queued.shift() ?? defaultBehaviour;
    if (behaviour.kind === 'http-error') {
      res.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour.body));
      return;
    }
    if (behaviour.kind === 'no-response') {
      await recording.record.clientClosed;
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).flushHeaders();
    try {
      await playBehaviour(behaviour, recording.sse);
    } catch (error) {
      // The client went away while we waited: that is recorded, not a stub failure.
      if (!recording.hasClientLeft()) throw error;
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => res.destroy(error instanceof Error ? error : undefined));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    respondWith: (behaviour) => (defaultBehaviour = behaviour),
    respondOnceWith: (behaviour) => queued.push(behaviour),
    waitForRequest: (index = 0) =>
      requests[index] ? Promise.resolve(requests[index]) : new Promise((resolve) => waiters.push({ index, resolve })),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Starts the record of one request and the SSE writer that keeps it up to date. */
function recordRequest(req: IncomingMessage, res: ServerResponse, body: unknown) {
  let resolveClosed = (_at: number) => {};
  let resolveStalled = (_chunks: number) => {};
  const record: RecordedRequest = {
    path: req.url ?? '',
    headers: req.headers,
    body,
    receivedAt: performance.now(),
    chunksWritten: 0,
    backedUpWrites: 0,
    firstPieceAt: undefined,
    clientClosedAt: undefined,
    clientClosed: new Promise((resolve) => (resolveClosed = resolve)),
    stalled: new Promise((resolve) => (resolveStalled = resolve)),
  };
  const clientLeft = new AbortController();
  let isDroppedByStub = false;
  res.on('close', () => {
    if (!res.writableFinished && !isDroppedByStub) {
      record.clientClosedAt = performance.now();
      resolveClosed(record.clientClosedAt);
    }
    clientLeft.abort();
  });

  const send = async (data: string) => {
    record.chunksWritten += 1;
    if (res.write(`data: ${data}\n\n`)) return;
    record.backedUpWrites += 1;
    const stallTimer = setTimeout(() => resolveStalled(record.chunksWritten), STALL_MS);
    try {
      await once(res, 'drain', { signal: clientLeft.signal });
    } finally {
      clearTimeout(stallTimer);
    }
  };
  const chunk = (fields: object) => ({
    id: 'chatcmpl-stub',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: modelOf(body),
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for.
    ...(isUsageWanted(body) ? { usage: null } : {}),
    ...fields,
  });
  const sse: SseResponse = {
    sendChunk: (delta, finishReason = null) => {
      if (record.firstPieceAt === undefined && hasContent(delta)) record.firstPieceAt = performance.now();
      return send(JSON.stringify(chunk({ choices: [{ index: 0, delta, finish_reason: finishReason }] })));
    },
    sendUsage: async ({ promptTokens, completionTokens }) => {
      if (!isUsageWanted(body)) return;
      const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
      await send(JSON.stringify(chunk({ choices: [], usage })));
    },
    sendData: send,
    pause: (ms) => delay(ms, undefined, { signal: clientLeft.signal }),
    cork: () => res.cork(),
    uncork: () => res.uncork(),
    untilClientLeaves: async () => {
      if (!clientLeft.signal.aborted) await once(clientLeft.signal, 'abort');
    },
    drop: async () => {
      await new Promise((resolve) => res.write('', resolve));
      isDroppedByStub = true;
      res.socket?.destroy();
    },
    end: () => res.end(),
  };
  return { record, sse, hasClientLeft: () => clientLeft.signal.aborted };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function hasContent(delta: object): boolean {
  const content: unknown = Reflect.get(delta, 'content');
  return typeof content === 'string' && content !== '';
}

function isUsageWanted(body: unknown): boolean {
  const options = (body as { stream_options?: { include_usage?: unknown } } | null)?.stream_options;
  return options?.include_usage === true;
}

function modelOf(body: unknown): string {
  const model = (body as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : 'unknown';
}
