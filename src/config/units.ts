/**
 * Parsers for the unit-carrying values of our configuration: durations are written with their
 * unit (`500ms`, `15s`, `5m`, `24h`) and sizes in bytes or with a unit (`64KiB`), as
 * operations.md prescribes. Each returns `undefined` for a malformed value so the caller can
 * report every bad variable at once.
 */

const msPerDurationUnit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const bytesPerSizeUnit = {
  '': 1,
  B: 1,
  KB: 1_000,
  MB: 1_000_000,
  GB: 1_000_000_000,
  KiB: 1_024,
  MiB: 1_048_576,
  GiB: 1_073_741_824,
} as const;

/** `"1500ms"` → 1500, `"5m"` → 300000; a bare number or an unknown unit → undefined. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof msPerDurationUnit;
  return Math.round(Number(match[1]) * msPerDurationUnit[unit]);
}

/** `"65536"` → 65536, `"64KiB"` → 65536, `"1MB"` → 1000000; anything else → undefined. */
export function parseSizeBytes(text: string): number | undefined {
  const match = /^(\d+)\s*(B|KB|MB|GB|KiB|MiB|GiB)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? '') as keyof typeof bytesPerSizeUnit;
  return Number(match[1]) * bytesPerSizeUnit[unit];
}
