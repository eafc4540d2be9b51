import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

/** Relative imports of a file, resolved to project paths such as `src/db/orm.ts`. */
function localImports(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)].map((match) => match[1]!);
  return specifiers.map((specifier) => path.relative(root, path.resolve(path.dirname(path.join(root, file)), specifier)));
}

function layerOf(file: string): string {
  const [top, layer] = file.split(path.sep);
  return top === 'src' ? (layer?.endsWith('.ts') ? 'root' : layer!) : top!;
}

/** Which layers each layer may import (STYLE.md 3.1): imports flow one way. */
const allowed: Record<string, string[]> = {
  domain: ['domain'],
  config: ['config'],
  gen: ['gen'],
  outbox: ['outbox', 'domain'],
  telemetry: ['telemetry'],
  llm: ['llm', 'domain', 'telemetry'],
  db: ['db', 'domain', 'outbox'],
  'use-cases': ['use-cases', 'domain', 'db', 'llm', 'outbox', 'telemetry'],
  api: ['api', 'use-cases', 'domain', 'gen', 'llm', 'telemetry', 'db'],
  root: ['root', 'api', 'config', 'db', 'llm', 'telemetry', 'gen', 'use-cases', 'outbox', 'domain'],
};

describe('architecture', () => {
  const files = sourceFiles('src').filter((file) => !file.startsWith(path.join('src', 'gen')));

  it.each(files)('%s imports only the layers it may', (file) => {
    const layer = layerOf(file);
    const forbidden = localImports(file).filter((target) => !allowed[layer]?.includes(layerOf(target)));
    expect(forbidden).toEqual([]);
  });

  it('keeps the API layer away from SQL and the ORM beyond types', () => {
    const offenders = sourceFiles('src/api').filter((file) => /\.(execute|createQueryBuilder|transactional)\(/.test(readFileSync(path.join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('reads process.env only in the config module and the entry points', () => {
    const offenders = sourceFiles('src')
      .filter((file) => !file.startsWith(path.join('src', 'config')) && file !== path.join('src', 'db', 'migrate-cli.ts'))
      .filter((file) => readFileSync(path.join(root, file), 'utf8').includes('process.env'));
    expect(offenders).toEqual([]);
  });
});

describe('architecture of the relay', () => {
  const files = sourceFiles('relay');
  const sharedModule = path.join('src', 'outbox', 'outbox-schema.ts');

  it.each(files)('%s imports nothing of ours but the relay and src/outbox/outbox-schema.ts', (file) => {
    const forbidden = localImports(file).filter((target) => !target.startsWith(`relay${path.sep}`) && target !== sharedModule);
    expect(forbidden).toEqual([]);
  });

  it('uses pg and kafkajs directly, never MikroORM', () => {
    const offenders = files.filter((file) => /from\s+['"]@mikro-orm\//.test(readFileSync(path.join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('reads process.env only in relay/config.ts', () => {
    const offenders = files.filter((file) => file !== path.join('relay', 'config.ts') && readFileSync(path.join(root, file), 'utf8').includes('process.env'));
    expect(offenders).toEqual([]);
  });

  it('is imported by nothing in src/', () => {
    const offenders = sourceFiles('src').filter((file) => localImports(file).some((target) => target.startsWith(`relay${path.sep}`)));
    expect(offenders).toEqual([]);
  });
});
