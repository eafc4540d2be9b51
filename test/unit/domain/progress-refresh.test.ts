import { describe, expect, it } from 'vitest';
import { progressRefreshInterval } from '../../../src/domain/turn.ts';

describe('progressRefreshInterval', () => {
  it.each([
    [300_000, 10_000],
    [30_000, 10_000],
    [29_999, 9_999],
    [1_000, 333],
  ])('refreshes last_progress_at every %i ms of ORPHAN_TIMEOUT → %i ms: at most every 10 s, and well within the timeout', (orphanTimeoutMs, expected) => {
    expect(progressRefreshInterval(orphanTimeoutMs)).toBe(expected);
  });
});
