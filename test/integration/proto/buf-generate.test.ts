import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { repoRoot, runBuf } from '../../support/buf.ts';

let outputDir: string | undefined;

afterEach(async () => {
  if (outputDir) await rm(outputDir, { recursive: true, force: true });
  outputDir = undefined;
});

it('keeps the committed src/gen identical to what `buf generate` produces from proto/', async () => {
  outputDir = await mkdtemp(join(tmpdir(), 'mini-chat-gen-'));

  // --output prefixes every plugin's `out`, so this writes <outputDir>/src/gen.
  const result = await runBuf(['generate', '--output', outputDir]);
  expect(result.stderr, 'buf generate errors').toBe('');
  expect(result.exitCode).toBe(0);

  const committed = await readTree(join(repoRoot, 'src', 'gen'));
  const generated = await readTree(join(outputDir, 'src', 'gen'));
  expect([...committed.keys()].sort(), 'files in src/gen (run `npm run generate`)').toEqual([...generated.keys()].sort());
  const stale = [...generated].filter(([file, content]) => committed.get(file) !== content).map(([file]) => file);
  expect(stale, 'files of src/gen that differ from buf generate output (run `npm run generate`)').toEqual([]);
});

/** Every file under `root`, by path relative to it, with its content. */
async function readTree(root: string): Promise<Map<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return new Map(await Promise.all(files.map(async (file) => [relative(root, file), await readFile(file, 'utf8')] as const)));
}
