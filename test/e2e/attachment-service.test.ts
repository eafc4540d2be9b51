import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorInfoSchema } from '../../src/gen/google/rpc/error_details_pb.ts';
import { clientsFor, failureOf, type MiniChatClients } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { sqlClient, type SqlClient } from '../support/sql.ts';
import { aUser, signToken } from '../support/tokens.ts';

const MiB = 1024 * 1024;

let database: TestDatabase;
let server: ServerProcess;
let sql: SqlClient;
let client: MiniChatClients;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = sqlClient(database.databaseUrl);
  server = await startServerProcess({ databaseUrl: database.databaseUrl });
  client = clientsFor(server.baseUrl, 'grpc');
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
  await sql.close();
  await database.drop();
});

type User = Awaited<ReturnType<typeof aUser>>;

async function aChatOf(user: User): Promise<string> {
  const { chat } = await client.chats.createChat({ title: 'with files' }, { headers: user.headers });
  return chat!.id;
}

async function anUpload(user: User, chatId: string, upload: { filename?: string; contentType?: string; content?: Uint8Array } = {}) {
  const { attachment } = await client.attachments.createAttachment(
    {
      chatId,
      filename: upload.filename ?? 'notes.txt',
      contentType: upload.contentType ?? 'text/plain',
      content: upload.content ?? new TextEncoder().encode('some notes'),
    },
    { headers: user.headers },
  );
  return attachment!;
}

type AttachmentRow = { tenant_id: string; chat_id: string; uploaded_by: string; filename: string; content_type: string; size_bytes: string; content: Buffer; deleted_at: Date | null };

async function attachmentRow(id: string): Promise<AttachmentRow | undefined> {
  const [row] = await sql.rows<AttachmentRow>('select * from attachments where id = $1', [id]);
  return row;
}

describe('AttachmentService over gRPC', () => {
  it('creates an attachment and GetAttachment returns its metadata: chat, filename, content type, size and create time', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const created = await anUpload(user, chatId, { filename: 'notes.md', contentType: 'text/markdown', content: new TextEncoder().encode('# Hi ✓') });
    expect(created).toMatchObject({ chatId, filename: 'notes.md', contentType: 'text/markdown', sizeBytes: 8n });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.createTime).toBeDefined();
    const { attachment } = await client.attachments.getAttachment({ chatId, attachmentId: created.id }, { headers: user.headers });
    expect(attachment).toEqual(created);
  });

  it('stores the content byte for byte as bytea, with size, tenant and uploader', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const content = new Uint8Array([0x00, 0xff, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]);
    const created = await anUpload(user, chatId, { filename: 'pixel.png', contentType: 'image/png', content });
    const row = await attachmentRow(created.id);
    expect(row).toMatchObject({ tenant_id: user.tenantId, chat_id: chatId, uploaded_by: user.userId, size_bytes: '8', deleted_at: null });
    expect(row?.content.equals(Buffer.from(content))).toBe(true);
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['a\\b\\report.txt', 'report.txt'],
    ['C:\\Users\\me\\..\\.hidden.csv', 'hidden.csv'],
    ['.bashrc', 'bashrc'],
    ['  spaced name.txt  ', 'spaced name.txt'],
    ['re\u0000po\nrt\u007f.txt', 'report.txt'],
    ['résumé – final.pdf', 'résumé – final.pdf'],
    ['invoice\u202Etxt.exe', 'invoicetxt.exe'],
    ['\uFEFFzero\u200Bwidth\u2066.txt', 'zerowidth.txt'],
    ['family \u{1F468}\u200D\u{1F469}.txt', 'family \u{1F468}\u200D\u{1F469}.txt'],
  ])('stores the filename %j as %j: no path, control characters, invisible display controls or leading dots', async (filename, stored) => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const created = await anUpload(user, chatId, { filename });
    expect(created.filename).toBe(stored);
    expect((await attachmentRow(created.id))?.filename).toBe(stored);
  });

  it.each([
    'text/x-python',
    'text/xml',
    'text/vnd.a+b',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/rtf',
    'image/webp',
  ])('accepts an attachment of type %s (any text/*, and the common document and image types)', async (contentType) => {
    const user = await aUser();
    const created = await anUpload(user, await aChatOf(user), { contentType });
    expect(created.contentType).toBe(contentType);
    expect((await attachmentRow(created.id))?.content_type).toBe(contentType);
  });

  it('stores the content type in lower case without parameters: "Text/Markdown; charset=UTF-8" is text/markdown', async () => {
    const user = await aUser();
    const created = await anUpload(user, await aChatOf(user), { contentType: 'Text/Markdown; charset=UTF-8' });
    expect(created.contentType).toBe('text/markdown');
  });

  it('accepts content of exactly 5 MiB', async () => {
    const user = await aUser();
    const created = await anUpload(user, await aChatOf(user), { contentType: 'application/pdf', content: new Uint8Array(5 * MiB).fill(7) });
    expect(created.sizeBytes).toBe(BigInt(5 * MiB));
    expect((await attachmentRow(created.id))?.content.length).toBe(5 * MiB);
  });

  it('accepts content of exactly 5 MiB over Connect JSON on HTTP/1.1, where the base64 body is about 6.7 MiB', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const json = clientsFor(server.baseUrl, 'connect-http1-json');
    const request = { chatId, filename: 'big.bin', contentType: 'application/pdf', content: new Uint8Array(5 * MiB).fill(1) };
    const { attachment } = await json.attachments.createAttachment(request, { headers: user.headers });
    expect(attachment?.sizeBytes).toBe(BigInt(5 * MiB));
  });

  it('soft-deletes an attachment: GetAttachment is then ATTACHMENT_NOT_FOUND and the row has deleted_at', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const created = await anUpload(user, chatId);
    await client.attachments.deleteAttachment({ chatId, attachmentId: created.id }, { headers: user.headers });
    const failure = await failureOf(client.attachments.getAttachment({ chatId, attachmentId: created.id }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'ATTACHMENT_NOT_FOUND', domain: 'minichat' });
    expect((await attachmentRow(created.id))?.deleted_at).toBeInstanceOf(Date);
  });

  it('deleting an attachment twice is ATTACHMENT_NOT_FOUND the second time, naming the chat and attachment ids', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const created = await anUpload(user, chatId);
    await client.attachments.deleteAttachment({ chatId, attachmentId: created.id }, { headers: user.headers });
    const deletedAt = (await attachmentRow(created.id))?.deleted_at;
    const error = await client.attachments.deleteAttachment({ chatId, attachmentId: created.id }, { headers: user.headers }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    const [info] = (error as ConnectError).findDetails(ErrorInfoSchema);
    expect(info).toMatchObject({ reason: 'ATTACHMENT_NOT_FOUND', metadata: { chat_id: chatId, attachment_id: created.id } });
    expect((await attachmentRow(created.id))?.deleted_at).toEqual(deletedAt);
  });

  it('answers ATTACHMENT_NOT_FOUND for an attachment id that was never created', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const failure = await failureOf(client.attachments.getAttachment({ chatId, attachmentId: randomUUID() }, { headers: user.headers }));
    expect(failure).toMatchObject({ code: Code.NotFound, reason: 'ATTACHMENT_NOT_FOUND' });
  });

  it('answers ATTACHMENT_NOT_FOUND for an attachment of the caller’s other chat, for Get and Delete, and keeps it live', async () => {
    const user = await aUser();
    const created = await anUpload(user, await aChatOf(user));
    const otherChatId = await aChatOf(user);
    // One call at a time: a rejected call nobody awaits yet is an unhandled rejection.
    const get = await failureOf(client.attachments.getAttachment({ chatId: otherChatId, attachmentId: created.id }, { headers: user.headers }));
    const del = await failureOf(client.attachments.deleteAttachment({ chatId: otherChatId, attachmentId: created.id }, { headers: user.headers }));
    expect(get).toMatchObject({ code: Code.NotFound, reason: 'ATTACHMENT_NOT_FOUND' });
    expect(del).toMatchObject({ code: Code.NotFound, reason: 'ATTACHMENT_NOT_FOUND' });
    expect((await attachmentRow(created.id))?.deleted_at).toBeNull();
  });
});

describe('AttachmentService owner scoping', () => {
  it('answers CHAT_NOT_FOUND to another tenant and to another user of the same tenant for Create, Get and Delete, and changes nothing', async () => {
    const owner = await aUser();
    const chatId = await aChatOf(owner);
    const created = await anUpload(owner, chatId);
    const strangers = [await aUser(), await aUser({ tenantId: owner.tenantId })];
    const before = await sql.count('attachments');
    for (const stranger of strangers) {
      const calls = [
        () => anUpload(stranger, chatId),
        () => client.attachments.getAttachment({ chatId, attachmentId: created.id }, { headers: stranger.headers }),
        () => client.attachments.deleteAttachment({ chatId, attachmentId: created.id }, { headers: stranger.headers }),
      ];
      for (const call of calls) expect(await failureOf(call())).toMatchObject({ code: Code.NotFound, reason: 'CHAT_NOT_FOUND' });
    }
    expect(await sql.count('attachments')).toBe(before);
    expect((await attachmentRow(created.id))?.deleted_at).toBeNull();
    expect((await client.attachments.getAttachment({ chatId, attachmentId: created.id }, { headers: owner.headers })).attachment?.id).toBe(created.id);
  });

  it('answers CHAT_NOT_FOUND for an upload into a deleted chat, and writes nothing', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    await client.chats.deleteChat({ chatId }, { headers: user.headers });
    const before = await sql.count('attachments');
    expect(await failureOf(anUpload(user, chatId))).toMatchObject({ code: Code.NotFound, reason: 'CHAT_NOT_FOUND' });
    expect(await sql.count('attachments')).toBe(before);
  });

  it('refuses CreateAttachment and DeleteAttachment with a read-only token as PERMISSION_DENIED / FORBIDDEN, changing nothing, while Get is allowed', async () => {
    const owner = await aUser();
    const chatId = await aChatOf(owner);
    const created = await anUpload(owner, chatId);
    const readOnlyToken = await signToken({ tenantId: owner.tenantId, userId: owner.userId, scope: 'ai:mini_chat:read' });
    const reader = { ...owner, headers: { authorization: `Bearer ${readOnlyToken}` } };
    const before = await sql.count('attachments');
    expect(await failureOf(anUpload(reader, chatId))).toMatchObject({ code: Code.PermissionDenied, reason: 'FORBIDDEN' });
    expect(await sql.count('attachments')).toBe(before);
    expect(await failureOf(client.attachments.deleteAttachment({ chatId, attachmentId: created.id }, { headers: reader.headers }))).toMatchObject({
      code: Code.PermissionDenied,
      reason: 'FORBIDDEN',
    });
    expect((await attachmentRow(created.id))?.deleted_at).toBeNull();
    expect((await client.attachments.getAttachment({ chatId, attachmentId: created.id }, { headers: reader.headers })).attachment?.id).toBe(created.id);
  });
});

describe('AttachmentService input validation', () => {
  type Upload = { chatId?: string; filename?: string; contentType?: string; content?: Uint8Array };
  const badUploads: Array<[string, Upload, string]> = [
    ['a malformed chat_id', { chatId: 'not-a-uuid' }, 'chat_id'],
    ['an empty filename', { filename: '' }, 'filename'],
    ['a whitespace-only filename', { filename: '   ' }, 'filename'],
    ['a filename that is only a path', { filename: '../../' }, 'filename'],
    ['a filename of only dots', { filename: '..' }, 'filename'],
    ['a 256-character filename', { filename: `${'x'.repeat(252)}.txt` }, 'filename'],
    ['a disallowed content type', { contentType: 'application/x-msdownload' }, 'content_type'],
    ['an empty content type', { contentType: '' }, 'content_type'],
    ['a content type that only starts like an allowed one', { contentType: 'application/pdfx' }, 'content_type'],
    ['text/ without a subtype', { contentType: 'text/' }, 'content_type'],
    ['a text/ subtype with a space', { contentType: 'text/plain text' }, 'content_type'],
    ['empty content', { content: new Uint8Array(0) }, 'content'],
    ['content one byte over 5 MiB', { content: new Uint8Array(5 * MiB + 1) }, 'content'],
    ['content of 6 MiB', { content: new Uint8Array(6 * MiB) }, 'content'],
  ];

  it.each(badUploads)('answers INVALID_ARGUMENT naming the field for CreateAttachment with %s, and writes nothing', async (_name, upload, field) => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const before = await sql.count('attachments');
    const failure = await failureOf(anUpload(user, upload.chatId ?? chatId, upload));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ARGUMENT', domain: 'minichat' });
    expect(failure.fields).toEqual([field]);
    expect(await sql.count('attachments')).toBe(before);
  });

  it('names every bad field of one CreateAttachment: chat_id, filename, content_type and content', async () => {
    const user = await aUser();
    const failure = await failureOf(anUpload(user, 'x', { filename: '/', contentType: 'video/mp4', content: new Uint8Array(0) }));
    expect(failure.fields).toEqual(['chat_id', 'filename', 'content_type', 'content']);
  });

  const badLookups: Array<[string, (c: MiniChatClients, h: Record<string, string>, chatId: string) => Promise<unknown>, string]> = [
    ['GetAttachment with a malformed chat_id', (c, h) => c.attachments.getAttachment({ chatId: '1234', attachmentId: randomUUID() }, { headers: h }), 'chat_id'],
    ['GetAttachment with a malformed attachment_id', (c, h, chatId) => c.attachments.getAttachment({ chatId, attachmentId: 'nope' }, { headers: h }), 'attachment_id'],
    ['DeleteAttachment with a malformed chat_id', (c, h) => c.attachments.deleteAttachment({ chatId: '', attachmentId: randomUUID() }, { headers: h }), 'chat_id'],
    ['DeleteAttachment with an empty attachment_id', (c, h, chatId) => c.attachments.deleteAttachment({ chatId, attachmentId: '' }, { headers: h }), 'attachment_id'],
  ];

  it.each(badLookups)('answers INVALID_ARGUMENT naming the field for %s', async (_name, call, field) => {
    const user = await aUser();
    const failure = await failureOf(call(client, user.headers, await aChatOf(user)));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ARGUMENT' });
    expect(failure.fields).toEqual([field]);
  });

  it('validates before looking up the chat: a disallowed content type for a chat that does not exist is INVALID_ARGUMENT, not NOT_FOUND', async () => {
    const user = await aUser();
    const failure = await failureOf(anUpload(user, randomUUID(), { contentType: 'application/zip' }));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, fields: ['content_type'] });
  });

  it('refuses a request body over 8 MiB before any handler runs with INVALID_ARGUMENT and its ErrorInfo (RESOURCE_EXHAUSTED is QUOTA_EXCEEDED\'s), and writes nothing', async () => {
    const user = await aUser();
    const chatId = await aChatOf(user);
    const before = await sql.count('attachments');
    const failure = await failureOf(anUpload(user, chatId, { content: new Uint8Array(9 * MiB) }));
    expect(failure).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_ARGUMENT', domain: 'minichat' });
    expect(await sql.count('attachments')).toBe(before);
  });
});
