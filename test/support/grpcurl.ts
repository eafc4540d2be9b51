import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * The path of the grpcurl binary: the first one on PATH, else in $GOPATH/bin or ~/go/bin (where
 * `go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest` puts it). Throws if there is none.
 */
export function findGrpcurl(): string {
  const directories = [
    ...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean),
    ...(process.env['GOPATH'] ? [join(process.env['GOPATH'], 'bin')] : []),
    join(homedir(), 'go', 'bin'),
    '/root/go/bin',
  ];
  for (const directory of directories) {
    const candidate = join(directory, 'grpcurl');
    if (isExecutable(candidate)) return candidate;
  }
  throw new Error(
    `grpcurl not found on PATH, in $GOPATH/bin or in ~/go/bin (looked in ${directories.join(', ')}). ` +
      'Install it with: go install github.com/fullstorydev/grpcurl/cmd/grpcurl@latest',
  );
}

function isExecutable(path: string): boolean {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats !== undefined && stats.isFile() && (stats.mode & 0o111) !== 0;
}

export type GrpcurlResult = { exitCode: number; stdout: string; stderr: string };

/**
 * Runs grpcurl with the given arguments (e.g. `['-plaintext', '127.0.0.1:50051', 'list']`) and
 * resolves with its exit code and output; it never rejects for a non-zero exit, so tests can assert
 * on failures too. Asynchronous on purpose: the server under test runs in the same process.
 */
export function runGrpcurl(args: readonly string[], timeoutMs = 15_000): Promise<GrpcurlResult> {
  return new Promise((resolve, reject) => {
    execFile(findGrpcurl(), args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
