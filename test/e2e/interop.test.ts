import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Code } from '@connectrpc/connect';
import { ListMessagesRequestSchema } from '../../src/gen/minichat/v1/chat_service_pb.ts';
import { GenerateRequestSchema } from '../../src/gen/minichat/v1/turn_service_pb.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, type Protocol } from '../support/clients.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { findGrpcurl } from '../support/grpcurl.ts';
import { rawGrpcCall, rawGrpcFrames } from '../support/raw-grpc.ts';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { aUser } from '../support/tokens.ts';

const run = promisify(execFile);
let database: TestDatabase;
let server: ServerProcess;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startServerProcess({ databaseUrl: database.databaseUrl });
});

afterAll(async () => {
  await server.stop();
  await database.drop();
});

describe('one port, every protocol', () => {
  it.each<Protocol>(['grpc', 'grpc-web', 'connect-h2', 'connect-http1-json'])('creates and lists chats with a Connect-ES client over %s', async (protocol) => {
    const user = await aUser();
    const client = clientsFor(server.baseUrl, protocol);
    const { chat } = await client.chats.createChat({ title: `via ${protocol}` }, { headers: user.headers });
    const { chats } = await client.chats.listChats({}, { headers: user.headers });
    expect(chats.map((c) => c.id)).toEqual([chat!.id]);
  });

  it('serves plain HTTP/1.1 JSON, as curl sends it, on the same port', async () => {
    const user = await aUser();
    const created = await fetch(`${server.baseUrl}/minichat.v1.ChatService/CreateChat`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'from curl' }),
    });
    expect(created.status).toBe(200);
    const body = (await created.json()) as { chat: { id: string; title: string; createTime: string } };
    expect(body.chat).toMatchObject({ title: 'from curl' });
    const listed = await fetch(`${server.baseUrl}/minichat.v1.ChatService/ListChats`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(((await listed.json()) as { chats: Array<{ id: string }> }).chats.map((c) => c.id)).toEqual([body.chat.id]);
  });

  it('answers HTTP/1.1 JSON errors with the Connect error body carrying the reason', async () => {
    const response = await fetch(`${server.baseUrl}/minichat.v1.ChatService/ListChats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { code: string; details: Array<{ type: string; debug?: { reason: string } }> };
    expect(body.code).toBe('unauthenticated');
    expect(body.details.find((d) => d.type === 'google.rpc.ErrorInfo')?.debug?.reason).toBe('UNAUTHENTICATED');
  });

  it('answers a JSON body of the wrong shape with INVALID_ARGUMENT, not INTERNAL', async () => {
    const user = await aUser();
    const response = await fetch(`${server.baseUrl}/minichat.v1.ChatService/ListChats`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/json' },
      body: '{"page_size": "twenty"}',
    });
    expect(((await response.json()) as { code: string }).code).toBe('invalid_argument');
  });
});

describe('compression', () => {
  it('sends turn events uncompressed to a client that offers gzip, while other answers above 1 KiB are compressed', async () => {
    const user = await aUser();
    const { chat } = await clientsFor(server.baseUrl, 'grpc').chats.createChat({ title: 'compression' }, { headers: user.headers });
    // One 4 KiB word: the echo model answers it as a single delta well over Connect's 1 KiB threshold.
    const longWord = 'x'.repeat(4096);

    const generated = await rawGrpcFrames(server.address, {
      path: '/minichat.v1.TurnService/Generate',
      token: user.token,
      payload: toBinary(GenerateRequestSchema, create(GenerateRequestSchema, { chatId: chat!.id, content: longWord })),
      acceptEncoding: 'gzip',
    });
    const listed = await rawGrpcFrames(server.address, {
      path: '/minichat.v1.ChatService/ListMessages',
      token: user.token,
      payload: toBinary(ListMessagesRequestSchema, create(ListMessagesRequestSchema, { chatId: chat!.id })),
      acceptEncoding: 'gzip',
    });

    expect(generated.status).toBe(0);
    expect(generated.frames.filter((frame) => frame.isCompressed)).toEqual([]);
    expect(Math.max(...generated.frames.map((frame) => frame.length))).toBeGreaterThan(4096);
    expect(listed).toMatchObject({ status: 0, encoding: 'gzip', frames: [{ isCompressed: true }] });
  });
});

describe('undecodable request bodies', () => {
  // Field 1 (chat_id), length-delimited, whose length runs past the end of the body.
  const garbage = Uint8Array.from([0x0a, 0x7f, 0x41]);

  it.each(['/minichat.v1.ChatService/GetChat', '/minichat.v1.TurnService/Generate'])('answers INVALID_ARGUMENT, not INTERNAL, to a gRPC body that is not a valid message (%s)', async (path) => {
    const user = await aUser();
    const answer = await rawGrpcCall(server.address, { path, token: user.token, payload: garbage });
    expect(answer).toMatchObject({ status: Code.InvalidArgument, message: 'the request body could not be decoded', hasDetails: true });
  });

  it.each(['/minichat.v1.AttachmentService/CreateAttachment', '/minichat.v1.TurnService/Generate'])(
    'answers INVALID_ARGUMENT with its ErrorInfo, not RESOURCE_EXHAUSTED, to a gRPC body over 8 MiB (%s)',
    async (path) => {
      const user = await aUser();
      const answer = await rawGrpcCall(server.address, { path, token: user.token, payload: new Uint8Array(9 * 1024 * 1024) });
      expect(answer).toMatchObject({ status: Code.InvalidArgument, message: 'the request body is larger than the server accepts', hasDetails: true });
    },
  );

  it('answers INVALID_ARGUMENT to a Connect body over 8 MiB', async () => {
    const user = await aUser();
    const response = await fetch(`${server.baseUrl}/minichat.v1.ChatService/GetChat`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/proto' },
      body: new Uint8Array(9 * 1024 * 1024),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_argument');
  });

  it('answers INVALID_ARGUMENT to a gRPC message flagged compressed when the call declared no compression', async () => {
    const user = await aUser();
    const answer = await rawGrpcCall(server.address, { path: '/minichat.v1.ChatService/ListChats', token: user.token, payload: new Uint8Array(), isCompressed: true });
    expect(answer.status).toBe(Code.InvalidArgument);
  });

  it('answers INVALID_ARGUMENT to a Connect binary body that is not a valid message', async () => {
    const user = await aUser();
    const response = await fetch(`${server.baseUrl}/minichat.v1.ChatService/GetChat`, {
      method: 'POST',
      headers: { ...user.headers, 'content-type': 'application/proto' },
      body: garbage,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_argument');
  });
});

describe('@grpc/grpc-js client with the proto files', () => {
  it('creates a chat and reads the ErrorInfo reason of a failure from the status details', async () => {
    const definition = protoLoader.loadSync('minichat/v1/chat_service.proto', {
      includeDirs: [path.resolve(import.meta.dirname, '../../proto')],
      keepCase: false,
      defaults: true,
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      minichat: { v1: { ChatService: new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client } };
    };
    const client = new loaded.minichat.v1.ChatService(server.address, grpc.credentials.createInsecure()) as grpc.Client &
      Record<string, (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, response: { chat: { id: string; title: string } }) => void) => void>;
    const user = await aUser();
    const metadata = new grpc.Metadata();
    metadata.set('authorization', user.headers.authorization);
    const call = (method: string, request: object) =>
      new Promise<{ chat: { id: string; title: string } }>((resolve, reject) =>
        client[method]!(request, metadata, (error, response) => (error ? reject(error) : resolve(response))),
      );
    const { chat } = await call('createChat', { title: 'from grpc-js' });
    expect(chat.title).toBe('from grpc-js');
    const error = (await call('getChat', { chatId: 'nope' }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.metadata.get('grpc-status-details-bin')).toHaveLength(1);
    client.close();
  });
});

describe('grpcurl with no proto files', () => {
  const grpcurl = findGrpcurl();

  it('lists the services through reflection', async () => {
    const { stdout } = await run(grpcurl, ['-plaintext', server.address, 'list']);
    expect(stdout.split('\n')).toEqual(
      expect.arrayContaining(['minichat.v1.ChatService', 'minichat.v1.TurnService', 'minichat.v1.AttachmentService', 'grpc.health.v1.Health']),
    );
  });

  it('describes a service with its methods', async () => {
    const { stdout } = await run(grpcurl, ['-plaintext', server.address, 'describe', 'minichat.v1.ChatService']);
    for (const method of ['CreateChat', 'GetChat', 'ListChats', 'DeleteChat', 'ListMessages']) expect(stdout).toContain(`rpc ${method}`);
  });

  it('calls CreateChat with a token and gets the chat back as JSON', async () => {
    const user = await aUser();
    const { stdout } = await run(grpcurl, [
      '-plaintext',
      '-H',
      `authorization: ${user.headers.authorization}`,
      '-d',
      '{"title":"from grpcurl"}',
      server.address,
      'minichat.v1.ChatService/CreateChat',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ chat: { title: 'from grpcurl', model: 'echo' } });
  });
});
