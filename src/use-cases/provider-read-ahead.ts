import type { ProviderChunk } from '../llm/provider.ts';

/**
 * How much answer text (in UTF-16 code units, JavaScript's string length: 16 Ki characters of
 * ASCII text, at most 48 KiB of UTF-8) may wait in a stream's read-ahead before the provider read
 * pauses. Bounds each stream's memory; a reader slower than the model slows the provider read
 * once it is full. Well under HTTP/2's default 64 KiB stream window, so several deltas can be in
 * flight to a client that keeps that window (a 64 KiB delta fills it alone and waits for the
 * client's window update).
 */
export const readAheadLimitChars = 16 * 1024;

/** A provider stream read ahead of its consumer (see `readProviderAhead`). */
export type ProviderReadAhead = {
  /**
   * Everything the provider has produced since the last call: one `delta` holding all deltas that
   * arrived meanwhile (concatenated, in order), or the `done` chunk once every delta was taken, or
   * `{ done: true }` if the provider stream ended without one. Waits only when nothing has arrived.
   * Rejects with the provider's error, after the deltas that came before it were taken.
   */
  next(): Promise<IteratorResult<ProviderChunk>>;
  /** Stops reading: a pause for room ends and the provider iterator is returned. */
  close(): void;
};

type Ending = { readonly result: IteratorResult<ProviderChunk> } | { readonly error: unknown };

/**
 * Told about every read of the provider iterator, synchronously: no promise of its own per read
 * (this runs once per provider chunk, thousands of times in a long answer).
 */
export type ProviderReadObserver = {
  /** A read was started; `read` settles when it does (kept to time an abort against it). */
  started(read: Promise<IteratorResult<ProviderChunk>>): void;
  /** The read answered `step`. */
  settled(step: IteratorResult<ProviderChunk>): void;
  /** The read failed with `error`. */
  failed(error: unknown): void;
};

/**
 * Reads `chunks` while the consumer is busy sending the previous event, so deltas that arrive
 * during that send go out together in the next event instead of queueing behind one send each.
 * Nothing waits for more text: when the consumer asks and any text is there, it gets it at once;
 * when nothing is there, it gets the next network read's text as soon as that read is parsed. A
 * model producing tokens over time (every real one) gets each chunk sent as its own delta; only
 * text that is already here when the previous event went out travels together (docs/streaming.md).
 *
 * `observer` hears of every read of the provider iterator (the stream's telemetry times them).
 */
export function readProviderAhead(
  chunks: AsyncIterator<ProviderChunk>,
  observer: ProviderReadObserver,
  limitChars = readAheadLimitChars,
): ProviderReadAhead {
  let texts: string[] = [];
  let queuedChars = 0;
  let ending: Ending | undefined;
  let isClosed = false;
  let hasTakenText = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;

  async function readUntilEnd(): Promise<void> {
    try {
      while (!isClosed) {
        const read = chunks.next();
        observer.started(read);
        let step: IteratorResult<ProviderChunk>;
        try {
          step = await read;
        } catch (error) {
          observer.failed(error);
          throw error;
        }
        observer.settled(step);
        if (!step.done && step.value.type === 'delta') {
          texts.push(step.value.text);
          queuedChars += step.value.text.length;
          wakeConsumer?.();
          if (queuedChars >= limitChars && !isClosed) await new Promise<void>((resolve) => (wakeReader = resolve));
          continue;
        }
        ending = { result: step };
        break;
      }
    } catch (error) {
      ending = { error };
    }
    wakeConsumer?.();
    // Nobody reads the provider again, so return it unless it finished by itself (ended or threw):
    // when closed early (a chunk held back, or the answer not over), and after its `done` chunk,
    // where a generator that yields `done` last is still suspended and its cleanup would never run
    // (the openai provider's idle timer held the stream's abort reason, and through its stack the
    // whole call, until the timer fired a minute on).
    const hasProviderFinished = ending !== undefined && ('error' in ending || ending.result.done === true);
    if (!hasProviderFinished) void chunks.return?.().catch(() => undefined);
  }

  void readUntilEnd();

  return {
    async next() {
      while (texts.length === 0 && !ending) await new Promise<void>((resolve) => (wakeConsumer = resolve));
      wakeConsumer = undefined;
      // Text wakes us while the rest of its network read is still being parsed, a few microtasks
      // behind it. Taking after this loop turn's I/O callbacks sends the whole read as one delta
      // instead of one event per chunk; no timer, no waiting for the network. The answer's first
      // text is the exception: it goes at once, because time to first token is what a user waits
      // for, and the rest of the loop turn may be other streams' work.
      if (hasTakenText) await new Promise<void>((resolve) => setImmediate(resolve));
      if (texts.length > 0) {
        hasTakenText = true;
        const text = texts.length === 1 ? (texts[0] ?? '') : texts.join('');
        texts = [];
        queuedChars = 0;
        const reader = wakeReader;
        wakeReader = undefined;
        reader?.();
        return { done: false, value: { type: 'delta', text } };
      }
      if (ending && 'error' in ending) throw ending.error;
      return ending?.result ?? { done: true, value: undefined };
    },
    close() {
      if (isClosed) return;
      isClosed = true;
      // A reader paused for room wakes, sees the close and returns the provider iterator.
      const reader = wakeReader;
      wakeReader = undefined;
      reader?.();
    },
  };
}
