import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseSizeBytes } from '../../../src/config/units.ts';

describe('units', () => {
  it.each([
    ['500ms', 500],
    ['15s', 15_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['1.5s', 1_500],
  ])('reads the duration %s as %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['15', 's', '5 minutes', '-1s', ''])('refuses the duration %j', (text) => expect(parseDurationMs(text)).toBeUndefined());

  it.each([
    ['65536', 65_536],
    ['64KiB', 65_536],
    ['5MiB', 5_242_880],
    ['1MB', 1_000_000],
  ])('reads the size %s as %d bytes', (text, bytes) => expect(parseSizeBytes(text)).toBe(bytes));

  it.each(['64k', 'lots', '-1', '1.5MiB'])('refuses the size %j', (text) => expect(parseSizeBytes(text)).toBeUndefined());
});
