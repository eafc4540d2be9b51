import { randomUUID } from 'node:crypto';
import { ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import OpenAI from 'openai';
import { ChatService } from '../src/gen/minichat/v1/chat_service_pb.ts';
import { TurnService } from '../src/gen/minichat/v1/turn_service_pb.ts';
import type { OpenAIStubServer, RecordedRequest } from '../test/support/openai-stub-server.ts';
import { aUser } from '../test/support/tokens.ts';

/** What a client saw of one streamed answer. Times are `performance.now()` of the bench process. */
export type StreamTiming = {
  /** The user message sent, unique per stream: finds the stub's record of the provider request. */
  readonly marker: string;
  firstDeltaAt: number | undefined;
  lastDeltaAt: number | undefined;
  contentBytes: number;
  /** Non-empty deltas received: through the service, fewer than the stub's pieces when deltas were coalesced. */
  deltaCount: number;
  /** `done` or `failed` (terminal event), `cancelled` (we aborted), `stopped` (direct: stream ended), or an error code. */
  end: string;
};

export type StreamOptions = {
  readonly signal?: AbortSignal;
  /** Called as soon as the first non-empty delta has been read, with its arrival time. */
  readonly onFirstDelta?: (at: number) => void;
};

/** One simulated user of the service: its own token and its own HTTP/2 connection. */
export type ServiceClient = {
  readonly chats: Client<typeof ChatService>;
  readonly turns: Client<typeof TurnService>;
  readonly headers: Record<string, string>;
  close(): void;
};

export async function connectServiceClient(baseUrl: string): Promise<ServiceClient> {
  const user = await aUser();
  const sessionManager = new Http2SessionManager(baseUrl);
  const transport = createGrpcTransport({ baseUrl, sessionManager });
  return {
    chats: createClient(ChatService, transport),
    turns: createClient(TurnService, transport),
    headers: user.headers,
    close: () => sessionManager.abort(),
  };
}

/** A fresh chat for one stream: a chat runs one turn at a time, and an empty one keeps the context small. */
export async function openChat(client: ServiceClient): Promise<string> {
  const { chat } = await client.chats.createChat({ title: 'bench' }, { headers: client.headers });
  if (!chat) throw new Error('bench: CreateChat answered without a chat');
  return chat.id;
}

function newTiming(): StreamTiming {
  return { marker: `bench ${randomUUID()}`, firstDeltaAt: undefined, lastDeltaAt: undefined, contentBytes: 0, deltaCount: 0, end: 'open' };
}

function recordDelta(timing: StreamTiming, text: string, options: StreamOptions): void {
  const at = performance.now();
  timing.lastDeltaAt = at;
  timing.contentBytes += Buffer.byteLength(text);
  timing.deltaCount += 1;
  if (timing.firstDeltaAt !== undefined) return;
  timing.firstDeltaAt = at;
  options.onFirstDelta?.(at);
}

/** Generate through the service over gRPC, timing each delta as the client's iterator yields it. */
export async function generateTimed(client: ServiceClient, chatId: string, options: StreamOptions = {}): Promise<StreamTiming> {
  const timing = newTiming();
  const request = { chatId, requestId: randomUUID(), content: timing.marker };
  try {
    for await (const { event } of client.turns.generate(request, { headers: client.headers, signal: options.signal })) {
      if (event.case === 'delta' && event.value.text !== '') recordDelta(timing, event.value.text, options);
      if (event.case === 'done' || event.case === 'failed') timing.end = event.case;
    }
  } catch (error) {
    timing.end = options.signal?.aborted ? 'cancelled' : `error ${ConnectError.from(error).code}`;
  }
  return timing;
}

/** The baseline client: the official `openai` SDK (the one the service uses) reading the stub directly. */
export function createDirectClient(stubBaseUrl: string): OpenAI {
  return new OpenAI({ baseURL: stubBaseUrl, apiKey: 'bench', maxRetries: 0, logLevel: 'off' });
}

/** One streamed Chat Completion read straight from the stub, timed like `generateTimed`. */
export async function completeDirectTimed(openai: OpenAI, options: StreamOptions = {}): Promise<StreamTiming> {
  const timing = newTiming();
  try {
    const stream = await openai.chat.completions.create(
      { model: 'bench', messages: [{ role: 'user', content: timing.marker }], stream: true, stream_options: { include_usage: true } },
      { signal: options.signal },
    );
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content;
      if (text) recordDelta(timing, text, options);
    }
    timing.end = options.signal?.aborted ? 'cancelled' : 'stopped';
  } catch (error) {
    timing.end = options.signal?.aborted ? 'cancelled' : `error ${String(error)}`;
  }
  return timing;
}

/** The stub's record of the provider request a stream caused (service or direct), found by its marker. */
export function stubRecordOf(stub: OpenAIStubServer, timing: StreamTiming): RecordedRequest | undefined {
  for (let index = stub.requests.length - 1; index >= 0; index -= 1) {
    const record = stub.requests[index];
    if (record && lastMessageOf(record.body) === timing.marker) return record;
  }
  return undefined;
}

function lastMessageOf(body: unknown): unknown {
  const messages: unknown = Reflect.get(Object(body), 'messages');
  return Array.isArray(messages) ? Reflect.get(Object(messages.at(-1)), 'content') : undefined;
}
