/** How the OpenAI stub server answers one request. Build one with the helpers below or write it out. */
export type StubBehaviour =
  | {
      kind: 'answer';
      pieces: string[];
      /** Pause before the first piece (slow first token); the headers are sent at once regardless. */
      firstPieceDelayMs?: number;
      pieceDelayMs?: number;
      /** Awaited before each piece is sent (with its index): lets a test pace the answer by what it received. */
      beforePiece?: (index: number) => Promise<unknown>;
      /** All pieces in one socket write, as a server sends text it already had; pauses and gates are ignored. */
      isWrittenTogether?: boolean;
      /** `null` ends the stream (`[DONE]`) without any finish reason, as a broken server might. */
      finishReason?: string | null;
      usage?: { promptTokens: number; completionTokens: number };
    }
  | { kind: 'http-error'; status: number; body: unknown }
  | {
      kind: 'drop-mid-stream';
      piecesBeforeDrop: string[];
      /**
       * Drops once this settles, e.g. after the test has read the pieces. Without it the drop follows
       * the pieces at once, and the client may see the failure before it has read them.
       */
      dropWhen?: Promise<unknown>;
    }
  | { kind: 'never-finish'; piecesBefore: string[] }
  /** Takes the request and never answers it, not even with headers, until the client leaves. */
  | { kind: 'no-response' }
  | { kind: 'malformed-chunk'; piecesBefore: string[] };

type AnswerOptions = Omit<Extract<StubBehaviour, { kind: 'answer' }>, 'kind' | 'pieces'>;

/** A normal answer: the pieces as content deltas, a finish reason (default stop), usage, `[DONE]`. */
export function answer(pieces: string[], options: AnswerOptions = {}): StubBehaviour {
  return { kind: 'answer', pieces, ...options };
}

export const rateLimited: StubBehaviour = {
  kind: 'http-error',
  status: 429,
  body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
};

export const serverError: StubBehaviour = {
  kind: 'http-error',
  status: 500,
  body: { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } },
};

/** The body OpenAI sends when the prompt does not fit the model. */
export const contextLengthExceeded: StubBehaviour = {
  kind: 'http-error',
  status: 400,
  body: {
    error: {
      message: "This model's maximum context length is 128 tokens. However, your messages resulted in 512 tokens.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  },
};

/** vLLM's answer to a prompt that does not fit: a top-level error object whose code is the number 400. */
export const vllmContextLengthExceeded: StubBehaviour = {
  kind: 'http-error',
  status: 400,
  body: {
    object: 'error',
    message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4900 in the messages, 100 in the completion). Please reduce the length of the messages or completion.",
    type: 'BadRequestError',
    param: null,
    code: 400,
  },
};

/** llama.cpp server's answer to a prompt that does not fit its context. */
export const llamaCppContextExceeded: StubBehaviour = {
  kind: 'http-error',
  status: 400,
  body: { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 5000, n_ctx: 4096 } },
};

/** A proxy in front of the model gave up waiting. */
export const gatewayTimeout: StubBehaviour = { kind: 'http-error', status: 504, body: { error: { message: 'upstream request timeout', type: 'timeout', code: null } } };

/** An ordinary bad request that has nothing to do with the context. */
export const badRequest: StubBehaviour = {
  kind: 'http-error',
  status: 400,
  body: { error: { message: "Invalid value for 'temperature': expected a number.", type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } },
};

/** Sends the pieces, then destroys the socket (`socket.destroy()`) without finishing the response. */
export function dropMidStream(piecesBeforeDrop: string[], dropWhen?: Promise<unknown>): StubBehaviour {
  return { kind: 'drop-mid-stream', piecesBeforeDrop, dropWhen };
}

/** Takes the request and never answers it, not even with headers: a provider that hangs before streaming. */
export const noResponse: StubBehaviour = { kind: 'no-response' };

/** Sends the pieces, then keeps the connection open, sending nothing, until the client leaves. */
export function neverFinish(piecesBefore: string[] = []): StubBehaviour {
  return { kind: 'never-finish', piecesBefore };
}

/** Sends the pieces, then an event whose data is not JSON, then ends normally. */
export function malformedChunk(piecesBefore: string[] = []): StubBehaviour {
  return { kind: 'malformed-chunk', piecesBefore };
}

/** The server side of one SSE response, as the behaviours need it. Every wait ends when the client leaves. */
export type SseResponse = {
  /** One `chat.completion.chunk` event with this delta and finish reason. */
  sendChunk(delta: object, finishReason?: string | null): Promise<void>;
  /** The final usage chunk, sent only if the request asked for it with `stream_options.include_usage`. */
  sendUsage(usage: { promptTokens: number; completionTokens: number }): Promise<void>;
  /** One event with exactly this data. */
  sendData(data: string): Promise<void>;
  pause(ms: number): Promise<void>;
  /** Holds writes back until `uncork()`, which sends them as one. */
  cork(): void;
  uncork(): void;
  untilClientLeaves(): Promise<void>;
  /** Flushes what was written, then destroys the socket. */
  drop(): Promise<void>;
  end(): void;
};

/** Plays a streaming behaviour (every kind but `http-error`) on an open SSE response. */
export async function playBehaviour(behaviour: Exclude<StubBehaviour, { kind: 'http-error' }>, sse: SseResponse): Promise<void> {
  await sse.sendChunk({ role: 'assistant', content: '' });
  switch (behaviour.kind) {
    case 'answer': {
      if (behaviour.isWrittenTogether) {
        sse.cork();
        const written = behaviour.pieces.map((piece) => sse.sendChunk({ content: piece }));
        sse.uncork();
        await Promise.all(written);
      }
      for (const [index, piece] of behaviour.isWrittenTogether ? [] : behaviour.pieces.entries()) {
        const pauseMs = index === 0 ? behaviour.firstPieceDelayMs : behaviour.pieceDelayMs;
        if (pauseMs) await sse.pause(pauseMs);
        await behaviour.beforePiece?.(index);
        await sse.sendChunk({ content: piece });
      }
      if (behaviour.finishReason !== null) await sse.sendChunk({}, behaviour.finishReason ?? 'stop');
      await sse.sendUsage(behaviour.usage ?? { promptTokens: 10, completionTokens: behaviour.pieces.length });
      await sse.sendData('[DONE]');
      return sse.end();
    }
    case 'drop-mid-stream':
      for (const piece of behaviour.piecesBeforeDrop) await sse.sendChunk({ content: piece });
      await behaviour.dropWhen;
      return sse.drop();
    case 'never-finish':
      for (const piece of behaviour.piecesBefore) await sse.sendChunk({ content: piece });
      return sse.untilClientLeaves();
    case 'malformed-chunk':
      for (const piece of behaviour.piecesBefore) await sse.sendChunk({ content: piece });
      await sse.sendData('{"choices": [{"delta": {"content": "unterminated');
      await sse.sendData('[DONE]');
      return sse.end();
  }
}
