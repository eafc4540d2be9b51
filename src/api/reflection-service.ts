import { create, fromBinary, toBinary, type DescFile, type DescService, type MessageInitShape } from '@bufbuild/protobuf';
import { Code, type ConnectRouter } from '@connectrpc/connect';
import * as v1 from '../gen/grpc/reflection/v1/reflection_pb.ts';
import * as v1alpha from '../gen/grpc/reflection/v1alpha/reflection_pb.ts';
import { createReflectionIndex, type ReflectionIndex } from './reflection-index.ts';

type ReflectionResponseInit = MessageInitShape<typeof v1.ServerReflectionResponseSchema>;

/**
 * Registers gRPC server reflection, `grpc.reflection.v1.ServerReflection` and its deprecated twin
 * `grpc.reflection.v1alpha.ServerReflection`, so that `grpcurl` and similar tools work without
 * proto files.
 *
 * It advertises `services`, plus every other service registered on `router` (health, reflection
 * itself), and answers with the serialized descriptors of the file that defines a symbol and of all
 * files it imports. Our protos define no extensions: extension lookups answer NOT_FOUND, and a
 * message's extension numbers are an empty list. Register it after the other services.
 */
export function registerReflectionService(router: ConnectRouter, services: readonly DescService[], extraFiles: readonly DescFile[] = []): void {
  // Built on first use: by then the router holds every service, including ones registered later.
  let index: ReflectionIndex | undefined;
  const getIndex = (): ReflectionIndex => {
    index ??= createReflectionIndex([...services, ...router.handlers.map((handler) => handler.service)], extraFiles);
    return index;
  };

  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) yield answerRequest(getIndex(), request);
    },
  });
  router.service(v1alpha.ServerReflection, {
    // v1alpha is v1 under another package name, identical on the wire: translate through bytes.
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        const asV1 = fromBinary(v1.ServerReflectionRequestSchema, toBinary(v1alpha.ServerReflectionRequestSchema, request));
        const answer = answerRequest(getIndex(), asV1);
        yield fromBinary(v1alpha.ServerReflectionResponseSchema, toBinary(v1.ServerReflectionResponseSchema, answer));
      }
    },
  });
}

/** Answers one reflection request; a request that cannot be answered gets an error_response. */
function answerRequest(index: ReflectionIndex, request: v1.ServerReflectionRequest): v1.ServerReflectionResponse {
  const question = request.messageRequest;
  const answer = (messageResponse: ReflectionResponseInit['messageResponse']) =>
    create(v1.ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse });
  const files = (file: DescFile | undefined, missing: string) =>
    file
      ? answer({ case: 'fileDescriptorResponse', value: { fileDescriptorProto: index.serializeWithDependencies(file) } })
      : answer(errorResponse(Code.NotFound, missing));

  switch (question.case) {
    case 'listServices':
      return answer({
        case: 'listServicesResponse',
        value: { service: index.serviceNames.map((name) => ({ name })) },
      });
    case 'fileByFilename':
      return files(index.fileByName(question.value), `file not found: ${question.value}`);
    case 'fileContainingSymbol':
      return files(index.fileContainingSymbol(question.value), `symbol not found: ${question.value}`);
    case 'fileContainingExtension': {
      const { containingType, extensionNumber } = question.value;
      return answer(errorResponse(Code.NotFound, `extension not found: ${containingType} field ${extensionNumber}`));
    }
    case 'allExtensionNumbersOfType':
      return index.hasMessage(question.value)
        ? answer({ case: 'allExtensionNumbersResponse', value: { baseTypeName: question.value, extensionNumber: [] } })
        : answer(errorResponse(Code.NotFound, `message type not found: ${question.value}`));
    case undefined:
      return answer(errorResponse(Code.InvalidArgument, 'the request sets none of the message_request fields'));
  }
}

function errorResponse(code: Code, message: string): ReflectionResponseInit['messageResponse'] {
  return { case: 'errorResponse', value: { errorCode: code, errorMessage: message } };
}
