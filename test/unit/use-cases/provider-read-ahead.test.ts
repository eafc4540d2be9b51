import { describe, expect, it } from 'vitest';
import type { ProviderChunk } from '../../../src/llm/provider.ts';
import { type ProviderReadObserver, readProviderAhead } from '../../../src/use-cases/provider-read-ahead.ts';

const unobserved: ProviderReadObserver = { started: () => {}, settled: () => {}, failed: () => {} };

/** A provider whose chunks become readable only when the test releases them, counting reads. */
function gatedProvider() {
  const queued: Array<ProviderChunk | Error> = [];
  let wake: (() => void) | undefined;
  const state = { reads: 0, returned: false };
  async function* chunks(): AsyncGenerator<ProviderChunk> {
    try {
      for (;;) {
        state.reads += 1;
        while (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const next = queued.shift();
        if (next instanceof Error) throw next;
        if (!next) continue;
        yield next;
        if (next.type === 'done') return;
      }
    } finally {
      state.returned = true;
    }
  }
  return {
    iterator: chunks(),
    state,
    release(...items: Array<ProviderChunk | Error>) {
      queued.push(...items);
      wake?.();
    },
  };
}

const delta = (text: string): ProviderChunk => ({ type: 'delta', text });
const done: ProviderChunk = { type: 'done', finishReason: 'stop' };

/** Lets every queued callback and timer of the current loop turn run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

describe('readProviderAhead', () => {
  it('hands a consumer that keeps up every provider chunk as its own delta', async () => {
    const provider = gatedProvider();
    const ahead = readProviderAhead(provider.iterator, unobserved);
    const taken: unknown[] = [];

    for (const text of ['Hel', 'lo', ' world']) {
      const next = ahead.next();
      provider.release(delta(text));
      taken.push((await next).value);
    }
    provider.release(done);
    taken.push((await ahead.next()).value);

    expect(taken).toEqual([delta('Hel'), delta('lo'), delta(' world'), done]);
  });

  it('joins the deltas that arrived while the consumer was busy into one, in order, before done', async () => {
    const provider = gatedProvider();
    const ahead = readProviderAhead(provider.iterator, unobserved);

    provider.release(delta('a'), delta('b'), delta('c'), done);
    await settle();

    expect((await ahead.next()).value).toEqual(delta('abc'));
    expect(await ahead.next()).toEqual({ done: false, value: done });
  });

  it('stops reading the provider once the limit is queued, and reads on when the consumer takes it', async () => {
    const provider = gatedProvider();
    const ahead = readProviderAhead(provider.iterator, unobserved, 4);

    provider.release(...Array.from({ length: 10 }, () => delta('xy')));
    await settle();
    const readsWhileFull = provider.state.reads;
    await settle();

    // Two 2-character deltas fill the 4-character limit: the provider was asked for them and nothing more.
    expect(readsWhileFull).toBe(2);
    expect(provider.state.reads).toBe(readsWhileFull);
    expect((await ahead.next()).value).toEqual(delta('xyxy'));
    await settle();
    expect(provider.state.reads).toBe(4);
  });

  it('delivers the deltas that came before a provider error, then rejects with it', async () => {
    const provider = gatedProvider();
    const ahead = readProviderAhead(provider.iterator, unobserved);
    const failure = new Error('connection dropped');

    provider.release(delta('partial '), delta('answer'), failure);
    await settle();

    expect((await ahead.next()).value).toEqual(delta('partial answer'));
    await expect(ahead.next()).rejects.toBe(failure);
  });

  it('answers done when the provider stream ends without a done chunk', async () => {
    async function* endsEarly(): AsyncGenerator<ProviderChunk> {
      yield delta('only');
    }
    const ahead = readProviderAhead(endsEarly(), unobserved);

    expect((await ahead.next()).value).toEqual(delta('only'));
    expect(await ahead.next()).toEqual({ done: true, value: undefined });
  });

  it('returns the provider iterator when closed while paused for room, so its request is released', async () => {
    const provider = gatedProvider();
    const ahead = readProviderAhead(provider.iterator, unobserved, 1);
    provider.release(delta('x'), delta('y'));
    await settle();
    expect(provider.state.returned).toBe(false);

    ahead.close();
    await settle();

    expect(provider.state.returned).toBe(true);
  });

  it('returns a provider that yields its done chunk last, so its cleanup runs without another read', async () => {
    const cleanup = { hasRun: false };
    async function* yieldsDoneLast(): AsyncGenerator<ProviderChunk> {
      try {
        yield delta('answer');
        yield done;
      } finally {
        cleanup.hasRun = true;
      }
    }
    const ahead = readProviderAhead(yieldsDoneLast(), unobserved);

    expect((await ahead.next()).value).toEqual(delta('answer'));
    expect((await ahead.next()).value).toEqual(done);
    await settle();

    expect(cleanup.hasRun).toBe(true);
  });

  it('tells the observer of every provider read as it starts and as it settles', async () => {
    const provider = gatedProvider();
    const seen: string[] = [];
    const ahead = readProviderAhead(provider.iterator, {
      started: () => seen.push('started'),
      settled: (step) => seen.push(step.done ? 'ended' : step.value.type),
      failed: (error) => seen.push(`failed ${String(error)}`),
    });

    provider.release(delta('a'), delta('b'), done);
    await settle();
    await ahead.next();
    await ahead.next();

    expect(seen).toEqual(['started', 'delta', 'started', 'delta', 'started', 'done']);
  });

  it('tells the observer of a failed read', async () => {
    const provider = gatedProvider();
    const seen: string[] = [];
    const ahead = readProviderAhead(provider.iterator, {
      started: () => seen.push('started'),
      settled: () => seen.push('settled'),
      failed: (error) => seen.push(`failed ${(error as Error).message}`),
    });

    provider.release(new Error('connection reset'));

    await expect(ahead.next()).rejects.toThrow('connection reset');
    expect(seen).toEqual(['started', 'failed connection reset']);
  });
});
