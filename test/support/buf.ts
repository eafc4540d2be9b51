import { execFile } from 'node:child_process';
import { delimiter, join, resolve } from 'node:path';

/** The repository root, where buf.yaml and buf.gen.yaml live. */
export const repoRoot = resolve(import.meta.dirname, '../..');

export type BufResult = { exitCode: number; stdout: string; stderr: string };

/**
 * Runs the pinned buf CLI (node_modules/.bin/buf) in the repository root and resolves with its exit
 * code and output; it never rejects for a non-zero exit. node_modules/.bin goes first on PATH so
 * that local plugins run on the project's Node 24, as under `npm run generate`.
 */
export function runBuf(args: readonly string[], timeoutMs = 60_000): Promise<BufResult> {
  const bin = join(repoRoot, 'node_modules', '.bin');
  const env = { ...process.env, PATH: [bin, process.env['PATH'] ?? ''].join(delimiter) };
  return new Promise((resolvePromise, reject) => {
    execFile(join(bin, 'buf'), args, { cwd: repoRoot, env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolvePromise({ exitCode: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
