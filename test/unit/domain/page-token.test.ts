import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken } from '../../../src/domain/page-token.ts';

const cursor = { time: new Date('2026-11-25T10:00:00.123Z'), id: '0b6c5f3e-2f54-4b7a-9d8e-1c2d3e4f5a6b' };

describe('page tokens', () => {
  it('round-trips the cursor for the list it was issued for', () => {
    expect(decodePageToken('chats:t:u', encodePageToken('chats:t:u', cursor))).toEqual(cursor);
  });

  it('rejects a token issued for another list', () => {
    expect(decodePageToken('chats:t:other', encodePageToken('chats:t:u', cursor))).toBeUndefined();
  });

  it('rejects a token whose cursor was edited', () => {
    const body = JSON.parse(Buffer.from(encodePageToken('b', cursor), 'base64url').toString()) as Record<string, string>;
    const edited = Buffer.from(JSON.stringify({ ...body, i: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    expect(decodePageToken('b', edited)).toBeUndefined();
  });

  it.each(['', '!!!', 'bm90IGpzb24', Buffer.from('[1,2]').toString('base64url'), 'a'.repeat(600)])('rejects the garbled token %j', (token) => {
    expect(decodePageToken('b', token)).toBeUndefined();
  });
});
