import { readParcelApiConfig } from '@parcel/config';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningService, startTracedService } from './traced-service';

let running: RunningService | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('startTracedService', () => {
  it('serves health outside tracing, the routes traced and measured, a JSON 404, and closes what mount opened', async () => {
    const lines: string[] = [];
    let closed = false;
    running = await startTracedService({
      serviceName: 'skeleton-test',
      config: readParcelApiConfig({ TRACING_BACKEND: 'off', PORT: '0', METRICS_INTERVAL_SECONDS: '3600' }),
      host: '127.0.0.1',
      metricsWriter: (line) => lines.push(line),
      mount: async ({ app }) => {
        app.get('/hello', (_req, res) => {
          res.json({ hello: 'world' });
        });
        return () => {
          closed = true;
        };
      },
    });

    const health = await fetch(`${running.url}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const hello = await fetch(`${running.url}/hello`);
    expect(await hello.json()).toEqual({ hello: 'world' });
    const missing = await fetch(`${running.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');

    await running.close();
    running = undefined;
    expect(closed).toBe(true);
    // The interval was an hour: close printed it. Two requests measured (health is not).
    const documents = lines.map((line) => JSON.parse(line) as { requests?: number; Service?: string });
    const latency = documents.find((d) => d.requests !== undefined);
    expect(latency).toMatchObject({ Service: 'skeleton-test', requests: 2 });
  });
});
