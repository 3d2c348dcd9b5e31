import { describe, expect, it } from 'vitest';
import { listen } from './index';

describe('listen', () => {
  it('serves on a free port, answers, and closes with keep-alive connections open', async () => {
    const service = await listen((_req, res) => res.end('ok'), 0, '127.0.0.1');
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    expect(await (await fetch(service.url)).text()).toBe('ok');
    await service.close();
    await expect(fetch(service.url)).rejects.toThrow();
  });

  it('reports a wildcard bind as reachable on loopback', async () => {
    const service = await listen((_req, res) => res.end('ok'), 0, '0.0.0.0');
    expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
    await service.close();
  });
});
