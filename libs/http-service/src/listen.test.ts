import { serverTimeoutsBehind } from '@parcel/config';
import { describe, expect, it } from 'vitest';
import { listen } from './index';

const timeouts = serverTimeoutsBehind(30);

describe('listen', () => {
  it('serves on a free port, answers, and closes with keep-alive connections open', async () => {
    const service = await listen((_req, res) => res.end('ok'), 0, '127.0.0.1', timeouts);
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    expect(await (await fetch(service.url)).text()).toBe('ok');
    await service.close();
    await expect(fetch(service.url)).rejects.toThrow();
  });

  it('runs with the timeouts it is given, and announces its keep-alive to clients', async () => {
    const service = await listen((_req, res) => res.end('ok'), 0, '127.0.0.1', timeouts);
    try {
      expect(service.timeouts).toEqual(timeouts);
      const response = await fetch(service.url);
      await response.text();
      expect(response.headers.get('keep-alive')).toBe(`timeout=${timeouts.keepAliveTimeoutMs / 1000}`);
    } finally {
      await service.close();
    }
  });

  it('reports a wildcard bind as reachable on loopback', async () => {
    const service = await listen((_req, res) => res.end('ok'), 0, '0.0.0.0', timeouts);
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    await service.close();
  });
});
