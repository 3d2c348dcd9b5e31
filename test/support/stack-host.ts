// Vitest globalSetup of the e2e project: hosts the local stacks that test files share (see
// shared-stack.ts). It runs in Vitest's main process, so the stacks outlive any one test file; test
// files reach them through a small loopback control API, since they run in worker processes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestProject } from 'vitest/node';
import { SHARED_STACK_CONTROL, type SharedStackInfo, sharedStackKey } from './shared-stack-protocol';
import { startTestStack, type TestStack } from './stack';

interface Hosted {
  key: string;
  env: Record<string, string>;
  started: Promise<TestStack>;
  /** Pieces a test file stopped or restarted with its own environment: put back when it releases. */
  disturbed: Set<string>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? null));
}

export default async function setup(project: TestProject) {
  const stacks = new Map<string, Hosted>();

  const host = (env: Record<string, string>): Hosted => {
    const key = sharedStackKey(env);
    let hosted = stacks.get(key);
    if (!hosted) {
      const started = startTestStack(env);
      hosted = { key, env, started, disturbed: new Set() };
      stacks.set(key, hosted);
      // A stack that failed to start is forgotten, so the next file tries again and sees the error.
      started.catch(() => stacks.delete(key));
    }
    return hosted;
  };

  const routes: Record<string, (hosted: Hosted, stack: TestStack, body: Record<string, unknown>) => unknown> =
    {
      piece: (_hosted, stack, body) => {
        const child = stack.piece(String(body.name));
        return { pid: child.pid, running: child.running };
      },
      stopPiece: async (hosted, stack, body) => {
        hosted.disturbed.add(String(body.name));
        await stack.stopPiece(String(body.name));
      },
      startPiece: async (hosted, stack, body) => {
        const env = (body.env ?? {}) as Record<string, string>;
        if (Object.keys(env).length > 0) hosted.disturbed.add(String(body.name));
        else hosted.disturbed.delete(String(body.name));
        await stack.startPiece(String(body.name), env);
      },
      /** A test file is done: every piece it stopped or changed runs again as the stack started it. */
      release: async (hosted, stack) => {
        // Together: each piece waits only for its own start (a piece's dependencies are left running).
        await Promise.all([...hosted.disturbed].map((name) => stack.startPiece(name)));
        hosted.disturbed.clear();
      },
    };

  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = (await readJson(req)) as { env?: Record<string, string>; key?: string } & Record<
          string,
          unknown
        >;
        if (req.url === '/acquire') {
          const hosted = host(body.env ?? {});
          const stack = await hosted.started;
          const info: SharedStackInfo = {
            key: hosted.key,
            endpoints: stack.endpoints,
            stateDir: stack.stateDir,
          };
          return answer(res, 200, info);
        }
        const route = routes[(req.url ?? '').slice(1)];
        const hosted = stacks.get(String(body.key));
        if (!route || !hosted) return answer(res, 404, { error: `no ${req.url} for stack ${body.key}` });
        return answer(res, 200, await route(hosted, await hosted.started, body));
      } catch (err) {
        answer(res, 500, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  project.provide(SHARED_STACK_CONTROL, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);

  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const all = await Promise.allSettled([...stacks.values()].map((h) => h.started));
    for (const result of all) if (result.status === 'fulfilled') await result.value.stop();
  };
}
