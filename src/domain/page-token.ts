import { createHash } from 'node:crypto';

/**
 * Opaque page tokens for keyset pagination. A token carries the last row's sort key plus a
 * checksum over the key and the list it belongs to (kind, owner or chat), so a garbled token, a
 * hand-edited one, or one taken from another list is rejected instead of silently paging wrong.
 * It needs no secret: even a well-forged token only reads through the caller's owner-scoped query.
 */
export type PageCursor = { readonly time: Date; readonly id: string };

function checksum(binding: string, time: string, id: string): string {
  return createHash('sha256').update(`${binding}\n${time}\n${id}`).digest('base64url').slice(0, 16);
}

export function encodePageToken(binding: string, cursor: PageCursor): string {
  const time = cursor.time.toISOString();
  const body = JSON.stringify({ t: time, i: cursor.id, c: checksum(binding, time, cursor.id) });
  return Buffer.from(body, 'utf8').toString('base64url');
}

/** The cursor inside `token`, or undefined when the token is not one we issued for this list. */
export function decodePageToken(binding: string, token: string): PageCursor | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(token)) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { t, i, c } = body as Record<string, unknown>;
  if (typeof t !== 'string' || typeof i !== 'string' || typeof c !== 'string') return undefined;
  if (c !== checksum(binding, t, i)) return undefined;
  const time = new Date(t);
  if (Number.isNaN(time.getTime())) return undefined;
  return { time, id: i };
}
