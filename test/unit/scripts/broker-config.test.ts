import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../../scripts/kafka/broker-config.ts';

describe('newClusterId', () => {
  it('draws again when the id would start with "-", which the storage tool reads as a missing value', () => {
    // 0xf8 as the first byte makes the first base64url character '-' (index 62).
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    let calls = 0;

    const id = newClusterId(() => draws[calls++] ?? Buffer.alloc(16));

    expect(Buffer.alloc(16, 0xf8).toString('base64url')).toMatch(/^-/);
    expect(calls).toBe(2);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
  });

  it('makes the 22-character base64url id of 16 bytes', () => {
    expect(newClusterId((size) => Buffer.alloc(size, 0x7b))).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
