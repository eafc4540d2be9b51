import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter, createGrpcTransport } from '@connectrpc/connect-node';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthStatus, registerHealthService, type HealthStatus } from '../../src/api/health-service.ts';
import { registerReflectionService } from '../../src/api/reflection-service.ts';
import { Health, HealthCheckResponse_ServingStatus } from '../../src/gen/grpc/health/v1/health_pb.ts';
import * as reflectionV1 from '../../src/gen/grpc/reflection/v1/reflection_pb.ts';
import * as reflectionV1alpha from '../../src/gen/grpc/reflection/v1alpha/reflection_pb.ts';
import { AttachmentService } from '../../src/gen/minichat/v1/attachment_service_pb.ts';
import { ChatService } from '../../src/gen/minichat/v1/chat_service_pb.ts';
import { TurnService } from '../../src/gen/minichat/v1/turn_service_pb.ts';
import { runGrpcurl } from '../support/grpcurl.ts';

const minichatServices = [ChatService, TurnService, AttachmentService];

let server: http2.Http2Server;
let address: string;
let health: HealthStatus;
const sessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  health = createHealthStatus(minichatServices.map((service) => service.typeName));
  health.setAll('SERVING');
  const routes = (router: ConnectRouter) => {
    router.service(ChatService, {}); // every method answers UNIMPLEMENTED
    registerHealthService(router, health);
    registerReflectionService(router, minichatServices);
  };
  server = http2.createServer(connectNodeAdapter({ routes }));
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const session of sessions) session.close();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

async function grpcurl(...args: string[]): Promise<string> {
  const result = await runGrpcurl(['-plaintext', '-max-time', '10', ...args]);
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

describe('gRPC server reflection', () => {
  it('lists the minichat services, health and reflection to `grpcurl list`', async () => {
    const services = (await grpcurl(address, 'list')).trim().split('\n');

    expect(services.sort()).toEqual([
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
      'minichat.v1.AttachmentService',
      'minichat.v1.ChatService',
      'minichat.v1.TurnService',
    ]);
  });

  it('describes TurnService with its five RPCs and their documentation', async () => {
    const description = await grpcurl(address, 'describe', 'minichat.v1.TurnService');

    expect(description).toContain('minichat.v1.TurnService is a service:');
    expect(description).toContain('rpc Generate ( .minichat.v1.GenerateRequest ) returns ( stream .minichat.v1.TurnEvent );');
    expect(description).toContain('rpc Retry ( .minichat.v1.RetryRequest ) returns ( stream .minichat.v1.TurnEvent );');
    expect(description).toContain('rpc Edit ( .minichat.v1.EditRequest ) returns ( stream .minichat.v1.TurnEvent );');
    expect(description).toContain('rpc Delete ( .minichat.v1.DeleteRequest ) returns ( .minichat.v1.DeleteResponse );');
    expect(description).toContain('rpc GetTurn ( .minichat.v1.GetTurnRequest ) returns ( .minichat.v1.GetTurnResponse );');
    expect(description).toContain('// Errors: INVALID_ARGUMENT (malformed ids, empty or whitespace-only content');
  });

  it('describes the TurnEvent message with its sequence and the oneof of events', async () => {
    const description = await grpcurl(address, 'describe', 'minichat.v1.TurnEvent');

    expect(description).toContain('minichat.v1.TurnEvent is a message:');
    expect(description).toContain('uint64 sequence = 1;');
    expect(description).toContain('oneof event {');
    for (const field of [
      '.minichat.v1.TurnStarted started = 2;',
      '.minichat.v1.TextDelta delta = 3;',
      '.minichat.v1.Heartbeat heartbeat = 4;',
      '.minichat.v1.TurnDone done = 5;',
      '.minichat.v1.TurnFailed failed = 6;',
    ]) {
      expect(description).toContain(field);
    }
    expect(description).toContain('// Position of the event in its stream');
  });

  it('describes a method and a nested enum by their fully qualified names', async () => {
    expect(await grpcurl(address, 'describe', 'minichat.v1.TurnService.Generate')).toContain('is a method:');
    expect(await grpcurl(address, 'describe', 'grpc.health.v1.HealthCheckResponse.ServingStatus')).toContain(
      'SERVICE_UNKNOWN = 3;',
    );
  });

  it('answers the deprecated v1alpha protocol with the same services and descriptors as v1', async () => {
    const client = createClient(reflectionV1alpha.ServerReflection, createGrpcTransport({ baseUrl: `http://${address}` }));
    async function* requests() {
      yield { messageRequest: { case: 'listServices' as const, value: '' } };
      yield { messageRequest: { case: 'fileContainingSymbol' as const, value: 'minichat.v1.TurnEvent' } };
    }

    const responses = [];
    for await (const response of client.serverReflectionInfo(requests())) responses.push(response);

    expect(responses).toHaveLength(2);
    const [listed, files] = responses;
    expect(listed?.messageResponse.case).toBe('listServicesResponse');
    expect(listed?.messageResponse.case === 'listServicesResponse' && listed.messageResponse.value.service.map((s) => s.name)).toContain(
      'minichat.v1.TurnService',
    );
    expect(files?.messageResponse.case).toBe('fileDescriptorResponse');
    const protos =
      files?.messageResponse.case === 'fileDescriptorResponse'
        ? files.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes))
        : [];
    expect(protos.map((proto) => proto.name)).toEqual([
      'minichat/v1/turn.proto',
      'google/protobuf/timestamp.proto',
      'minichat/v1/message.proto',
    ]);
    expect(protos[0]?.sourceCodeInfo?.location.length).toBeGreaterThan(0);
  });

  it('answers extension lookups with NOT_FOUND and an empty extension number list', async () => {
    const client = createClient(reflectionV1.ServerReflection, createGrpcTransport({ baseUrl: `http://${address}` }));
    async function* requests() {
      yield {
        messageRequest: {
          case: 'fileContainingExtension' as const,
          value: { containingType: 'minichat.v1.Chat', extensionNumber: 100 },
        },
      };
      yield { messageRequest: { case: 'allExtensionNumbersOfType' as const, value: 'minichat.v1.Chat' } };
      yield { messageRequest: { case: 'fileContainingSymbol' as const, value: 'minichat.v1.NoSuchThing' } };
    }

    const answers = [];
    for await (const response of client.serverReflectionInfo(requests())) answers.push(response.messageResponse);

    expect(answers).toMatchObject([
      { case: 'errorResponse', value: { errorCode: Code.NotFound } },
      { case: 'allExtensionNumbersResponse', value: { baseTypeName: 'minichat.v1.Chat', extensionNumber: [] } },
      { case: 'errorResponse', value: { errorCode: Code.NotFound } },
    ]);
  });
});

describe('gRPC health', () => {
  it('answers SERVING to `grpcurl grpc.health.v1.Health/Check` for the server as a whole', async () => {
    const output = await grpcurl('-d', '{"service":""}', address, 'grpc.health.v1.Health/Check');

    expect(JSON.parse(output)).toEqual({ status: 'SERVING' });
  });

  it('answers Check for an unknown service with NOT_FOUND', async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: `http://${address}` }));

    const error = await client.check({ service: 'minichat.v1.NoSuchService' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConnectError);
    expect(ConnectError.from(error).code).toBe(Code.NotFound);
  });

  it('streams the current status of a service on Watch, then each change', async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: `http://${address}` }));
    const watching = new AbortController();
    const stream = client.watch({ service: 'minichat.v1.ChatService' }, { signal: watching.signal })[Symbol.asyncIterator]();

    const first = await stream.next();
    health.set('minichat.v1.ChatService', 'NOT_SERVING');
    const second = await stream.next();
    health.set('minichat.v1.ChatService', 'SERVING');
    const third = await stream.next();
    watching.abort();

    expect([first.value?.status, second.value?.status, third.value?.status]).toEqual([
      HealthCheckResponse_ServingStatus.SERVING,
      HealthCheckResponse_ServingStatus.NOT_SERVING,
      HealthCheckResponse_ServingStatus.SERVING,
    ]);
  });

  it('streams SERVICE_UNKNOWN on Watch of an unknown service instead of failing', async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: `http://${address}` }));
    const watching = new AbortController();
    const stream = client.watch({ service: 'minichat.v1.NoSuchService' }, { signal: watching.signal })[Symbol.asyncIterator]();

    const first = await stream.next();
    watching.abort();

    expect(first.value?.status).toBe(HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN);
  });
});
