import { toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { nestedTypes } from '@bufbuild/protobuf/reflect';
import { FileDescriptorProtoSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { fileDescriptorSet } from '../gen/file-descriptor-set.ts';

/** What gRPC server reflection needs to know: services, files and the symbols they define. */
export type ReflectionIndex = {
  /** Fully qualified names of the advertised services, in registration order. */
  readonly serviceNames: readonly string[];
  /** The file with this name (e.g. "minichat/v1/turn.proto"), if it is reachable from a service. */
  fileByName(fileName: string): DescFile | undefined;
  /** The file defining a service, method, message, enum or extension (nested ones included). */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  /** Whether a message type of this fully qualified name is known. */
  hasMessage(typeName: string): boolean;
  /** The serialized FileDescriptorProtos of the file and of all files it imports, transitively. */
  serializeWithDependencies(file: DescFile): Uint8Array[];
};

/**
 * Indexes the files of the given services, the extra files (types that only appear inside `Any`,
 * such as error details) and everything they import. Files of proto/ are served
 * from src/gen/file-descriptor-set.ts, which keeps their comments; the descriptors embedded in
 * generated code (used for the well-known types) have none.
 */
export function createReflectionIndex(services: readonly DescService[], extraFiles: readonly DescFile[] = []): ReflectionIndex {
  const serviceNames = [...new Set(services.map((service) => service.typeName))];
  const files = new Map<string, DescFile>();
  for (const service of services) addWithDependencies(files, service.file);
  for (const file of extraFiles) addWithDependencies(files, file);

  const fileBySymbol = new Map<string, DescFile>();
  const messageNames = new Set<string>();
  for (const file of files.values()) {
    for (const type of nestedTypes(file)) {
      fileBySymbol.set(type.typeName, file);
      if (type.kind === 'message') messageNames.add(type.typeName);
      if (type.kind === 'service') {
        for (const method of type.methods) fileBySymbol.set(`${type.typeName}.${method.name}`, file);
      }
    }
  }

  const documentedProtos = new Map(fileDescriptorSet.file.map((proto) => [proto.name, proto]));
  const serialized = new Map<string, Uint8Array>();
  const serialize = (file: DescFile): Uint8Array => {
    const fileName = file.proto.name;
    let bytes = serialized.get(fileName);
    if (!bytes) {
      const proto: FileDescriptorProto = documentedProtos.get(fileName) ?? file.proto;
      bytes = toBinary(FileDescriptorProtoSchema, proto);
      serialized.set(fileName, bytes);
    }
    return bytes;
  };

  return {
    serviceNames,
    fileByName: (fileName) => files.get(fileName),
    fileContainingSymbol: (symbol) => fileBySymbol.get(symbol),
    hasMessage: (typeName) => messageNames.has(typeName),
    serializeWithDependencies: (file) => [...addWithDependencies(new Map(), file).values()].map(serialize),
  };
}

/** Adds the file and, depth first, every file it imports; the file itself comes first. */
function addWithDependencies(files: Map<string, DescFile>, file: DescFile): Map<string, DescFile> {
  if (files.has(file.proto.name)) return files;
  files.set(file.proto.name, file);
  for (const dependency of file.dependencies) addWithDependencies(files, dependency);
  return files;
}
