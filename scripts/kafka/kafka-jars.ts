import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const pomPath = path.join(import.meta.dirname, 'pom.xml');

/** The Apache Kafka version of `pom.xml`, the one place it is written down. */
export const KAFKA_VERSION = readKafkaVersion(readFileSync(pomPath, 'utf8'));

/** Where fetched broker jars are kept between runs: `<repo>/.cache/kafka` (gitignored). */
export const DEFAULT_KAFKA_CACHE_DIR = path.resolve(import.meta.dirname, '../../.cache/kafka');

/** Written last, so a folder without it is an interrupted fetch and is fetched again. */
const COMPLETE_MARKER = '.complete';

/**
 * Returns the folder holding the broker's jars (`<cacheDir>/<version>/libs`), fetching them from
 * Maven Central with `mvn dependency:copy-dependencies` on `pom.xml` the first time only.
 * Needs `mvn` on the PATH for that first fetch; afterwards works offline.
 */
export async function ensureKafkaJars(cacheDir: string = DEFAULT_KAFKA_CACHE_DIR): Promise<string> {
  const libsDir = path.join(cacheDir, KAFKA_VERSION, 'libs');
  if (await exists(path.join(libsDir, COMPLETE_MARKER))) return libsDir;
  // fetched into a fresh sibling and renamed into place, so a concurrent or interrupted fetch
  // never leaves a half-filled libs folder that looks usable
  const fetchDir = `${libsDir}.fetch-${randomBytes(6).toString('hex')}`;
  await mkdir(fetchDir, { recursive: true });
  try {
    await runMaven(['-q', '-B', '-f', pomPath, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${fetchDir}`]);
    await writeFile(path.join(fetchDir, COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    await moveIntoPlace(fetchDir, libsDir);
  } finally {
    await rm(fetchDir, { recursive: true, force: true });
  }
  return libsDir;
}

async function moveIntoPlace(fetchDir: string, libsDir: string): Promise<void> {
  try {
    await rename(fetchDir, libsDir);
  } catch (error) {
    // another process finished the same fetch first: its copy is as good as ours
    if (!(await exists(path.join(libsDir, COMPLETE_MARKER)))) throw error;
  }
}

async function runMaven(args: string[]): Promise<void> {
  const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('exit', resolve);
    child.once('error', (error) =>
      reject(new Error(`cannot run mvn to fetch the Kafka ${KAFKA_VERSION} jars (install Maven and Java 17+, or set KAFKA_BROKERS)`, { cause: error })),
    );
  });
  if (code !== 0) {
    throw new Error(`mvn failed (exit ${code}) fetching the Kafka ${KAFKA_VERSION} jars:\n${Buffer.concat(output).toString('utf8')}`);
  }
}

function readKafkaVersion(pom: string): string {
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (version === undefined) throw new Error(`no <kafka.version> property in ${pomPath}`);
  return version.trim();
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
