import { ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { expect } from 'vitest';
import { BadRequestSchema, ErrorInfoSchema } from '../../src/gen/google/rpc/error_details_pb.ts';
import { AttachmentService } from '../../src/gen/minichat/v1/attachment_service_pb.ts';
import { ChatService } from '../../src/gen/minichat/v1/chat_service_pb.ts';
import { TurnService } from '../../src/gen/minichat/v1/turn_service_pb.ts';

export type Protocol = 'grpc' | 'grpc-web' | 'connect-h2' | 'connect-http1-json';

/** A transport of the given protocol to a server at `baseUrl`, as a real client would open it. */
export function transportFor(baseUrl: string, protocol: Protocol = 'grpc'): Transport {
  switch (protocol) {
    case 'grpc':
      return createGrpcTransport({ baseUrl });
    case 'grpc-web':
      return createGrpcWebTransport({ baseUrl, httpVersion: '2' });
    case 'connect-h2':
      return createConnectTransport({ baseUrl, httpVersion: '2' });
    case 'connect-http1-json':
      return createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: false });
  }
}

export type MiniChatClients = {
  chats: Client<typeof ChatService>;
  turns: Client<typeof TurnService>;
  attachments: Client<typeof AttachmentService>;
};

export function clientsFor(baseUrl: string, protocol: Protocol = 'grpc'): MiniChatClients {
  const transport = transportFor(baseUrl, protocol);
  return {
    chats: createClient(ChatService, transport),
    turns: createClient(TurnService, transport),
    attachments: createClient(AttachmentService, transport),
  };
}

/** What a failed call answered: code, ErrorInfo reason and the BadRequest field names. */
export type CallFailure = { code: number; reason: string | undefined; fields: string[]; domain: string | undefined };

/** Runs a call that must fail and returns its status details; fails the test if it succeeded. */
export async function failureOf(call: Promise<unknown>): Promise<CallFailure> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error, 'the call was expected to fail').toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  const [info] = connectError.findDetails(ErrorInfoSchema);
  const [badRequest] = connectError.findDetails(BadRequestSchema);
  return {
    code: connectError.code,
    reason: info?.reason,
    domain: info?.domain,
    fields: badRequest?.fieldViolations.map((violation) => violation.field) ?? [],
  };
}
