import { execFile } from 'node:child_process';
import path from 'node:path';

const projectRoot = path.resolve(import.meta.dirname, '../..');

/** Runs `npm run relay -- <args>` the way an operator would (as `node relay/main.ts <args>`). */
export async function runRelayCli(args: readonly string[], options: { databaseUrl: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['relay/main.ts', ...args],
      { cwd: projectRoot, env: { PATH: process.env.PATH ?? '', DATABASE_URL: options.databaseUrl }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
