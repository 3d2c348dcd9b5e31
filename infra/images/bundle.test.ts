import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RunningPostgres, startPostgres } from '@parcel/local-resources';
import { sampledHeader } from '@parcel/test-kit';
import { newTraceId } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_SERVICES, type ImageService, REPO_ROOT } from '../src/image-context';
import { bundleService, type Lockfile } from './bundle';

/** The `ENV` lines of a Dockerfile's last stage: the environment the image's command starts with. */
async function imageEnvironment(dockerfile: string): Promise<Record<string, string>> {
  const text = (await readFile(join(REPO_ROOT, dockerfile), 'utf8')).replace(/\\\n\s*/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const line of runtime.matchAll(/^ENV (.+)$/gm)) {
    for (const pair of (line[1] as string).trim().split(/\s+/)) {
      const [k, v] = pair.split('=');
      if (k && v !== undefined) env[k] = v;
    }
  }
  return env;
}

/** What the image's CMD runs, as a process: the bundle, from the folder the image copies it into. */
async function startImageCommand(service: ImageService, dir: string, extraEnv: Record<string, string> = {}) {
  const env = await imageEnvironment(IMAGE_SERVICES[service].dockerfile);
  expect(Object.keys(env)).toEqual(expect.arrayContaining(['PORT', 'NODE_ENV', 'AWS_XRAY_DAEMON_ADDRESS']));
  const child = spawn(process.execPath, [join(dir, `${service}.mjs`)], {
    cwd: dir,
    // Only the image's environment (plus the fields a deployment must give warehouse-query), and port 0:
    // tests never take fixed ports.
    env: {
      PATH: process.env.PATH,
      ...env,
      PORT: '0',
      ...(service === 'warehouse-query' ? { DB_HOST: '127.0.0.1', DB_PORT: '9' } : {}),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${service} did not announce its port:\n${output}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        try {
          const msg = JSON.parse(line) as { port?: number };
          if (typeof msg.port === 'number' && msg.port > 0) {
            clearTimeout(timer);
            resolve(msg.port);
          }
        } catch {
          // not a JSON line (yet)
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`${service} exited with ${code}:\n${output}`)));
  });
  return { child, port };
}

const runHealthcheck = (dir: string, port: number) =>
  new Promise<number | null>((resolve) => {
    const hc = spawn(process.execPath, [join(dir, 'healthcheck.mjs')], {
      env: { PORT: String(port) },
      stdio: 'ignore',
    });
    hc.on('exit', (code) => resolve(code));
  });

/** The image's /app: the bundle, and what its `npm ci --omit=dev` installs (the same versions, linked). */
async function imageFolder(service: ImageService): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${service}-image-`));
  const result = await bundleService(service, dir);
  await mkdir(join(dir, 'node_modules'), { recursive: true });
  for (const name of Object.keys(result.dependencies)) {
    await symlink(join(REPO_ROOT, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  }
  return dir;
}

describe.each(Object.keys(IMAGE_SERVICES) as ImageService[])('the %s image command', (service) => {
  let dir: string;
  let running: { child: ChildProcess; port: number } | undefined;

  beforeAll(async () => {
    dir = await imageFolder(service);
    running = await startImageCommand(service, dir);
  }, 120_000);

  afterAll(async () => {
    running?.child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every file the runtime stage copies, declaring what it did not bundle', async () => {
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).toEqual(['aws-xray-sdk-core', 'aws-xray-sdk-express']);
    for (const version of Object.values(pkg.dependencies)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("writes the runtime lockfile: the repository lockfile's entries for those packages and all they need", async () => {
    const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as Lockfile;
    const root = JSON.parse(await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(lock.packages['']?.dependencies).toEqual(pkg.dependencies);
    const paths = Object.keys(lock.packages).filter((p) => p !== '');
    for (const name of Object.keys(pkg.dependencies)) expect(paths).toContain(`node_modules/${name}`);
    for (const path of paths) {
      const entry = lock.packages[path];
      const original = root.packages[path];
      expect(original, path).toBeDefined();
      expect(entry?.version, path).toBe(original?.version);
      expect(entry?.integrity, path).toBe(original?.integrity);
      expect(entry?.resolved, path).toBe(original?.resolved);
      expect(entry?.dev, path).toBeUndefined();
      // Closed: every dependency resolves inside the lockfile, the way Node looks it up.
      for (const dep of Object.keys(entry?.dependencies ?? {})) {
        const ups = path
          .split('/node_modules/')
          .map((_, i, parts) => parts.slice(0, i + 1).join('/node_modules/'));
        const found =
          ups.reverse().some((up) => lock.packages[`${up}/node_modules/${dep}`]) ||
          lock.packages[`node_modules/${dep}`];
        expect(found, `${path} → ${dep}`).toBeTruthy();
      }
    }
    // npm itself agrees that the lockfile satisfies the package.json (what `npm ci` refuses otherwise).
    const { stdout } = await promisify(execFile)(
      'npm',
      ['ci', '--dry-run', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: dir },
    );
    expect(stdout).toMatch(/added \d+ packages?/);
  });

  it('starts with the image environment and answers /health', async () => {
    const res = await fetch(`http://127.0.0.1:${running?.port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('passes the HEALTHCHECK command, which fails when nothing answers', async () => {
    expect(await runHealthcheck(dir, running?.port as number)).toBe(0);
    expect(await runHealthcheck(dir, 9)).toBe(1);
  });
});

// The image's traces hold its SQL calls: the bundle instruments the one pg it carries (a pg resolved at
// run time would be absent from /app, or another copy than the one the service queries through).
describe('the warehouse-query image, over a real PostgreSQL', () => {
  let dir: string;
  let postgres: RunningPostgres;
  let daemon: Socket;
  const datagrams: string[] = [];
  let running: { child: ChildProcess; port: number } | undefined;

  beforeAll(async () => {
    dir = await imageFolder('warehouse-query');
    postgres = await startPostgres();
    // The image's migration step, as a deploy runs it (`node /app/migrate.mjs`).
    await promisify(execFile)(process.execPath, [join(dir, 'migrate.mjs')], {
      cwd: dir,
      env: { PATH: process.env.PATH, DATABASE_URL: postgres.url, SEED_SAMPLE_PARCELS: 'true' },
    });
    daemon = createSocket('udp4');
    daemon.on('message', (m) => datagrams.push(m.toString('utf8')));
    await new Promise<void>((r) => daemon.bind(0, '127.0.0.1', r));
    running = await startImageCommand('warehouse-query', dir, {
      DATABASE_URL: postgres.url,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
    });
  }, 180_000);

  afterAll(async () => {
    running?.child.kill('SIGTERM');
    daemon?.close();
    await postgres?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('records the query of a sampled request as an sql subsegment', async () => {
    const root = newTraceId();
    const res = await fetch(`http://127.0.0.1:${running?.port}/internal/warehouse/RR123456785GB`, {
      headers: { 'x-amzn-trace-id': sampledHeader(root) },
    });
    expect(res.status).toBe(200);
    type Doc = { trace_id?: string; sql?: Record<string, unknown>; subsegments?: Doc[] };
    const sqlOf = (d: Doc): Record<string, unknown>[] => [
      ...(d.sql ? [d.sql] : []),
      ...(d.subsegments ?? []).flatMap(sqlOf),
    ];
    const sql = () =>
      datagrams
        .map((text) => JSON.parse(text.slice(text.indexOf('\n') + 1)) as Doc)
        .filter((d) => d.trace_id === root)
        .flatMap(sqlOf);
    await expect.poll(() => sql().length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(sql()[0]).toMatchObject({
      database_type: 'PostgreSQL',
      user: expect.any(String),
      driver_version: expect.stringMatching(/^node-postgres \d/),
    });
    expect(String(sql()[0]?.sanitized_query)).toMatch(/select/i);
  });
});
