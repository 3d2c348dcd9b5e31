import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { defaultErrorAnswer, traceErrors, traceRequests } from './capture/express';
import { initTracing } from './tracing';

describe('traceErrors', () => {
  it('answers a path parameter that is not valid percent-encoding with a 400, not a 500', async () => {
    initTracing({ serviceName: 'errors-test', backend: 'off', logLevel: 'silent' });
    const app = express();
    app.use(traceRequests('errors-test'));
    app.get('/items/:id', (req, res) => {
      res.json({ id: req.params.id });
    });
    app.get('/boom', () => {
      throw new Error('a bug');
    });
    app.use(traceErrors());
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const bad of ['%c0%ae%c0%ae', '%', 'a%zz']) {
        const res = await fetch(`${base}/items/${bad}`);
        expect(res.status, bad).toBe(400);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('bad_request');
        expect(body.error.message).not.toContain(bad);
      }
      expect((await fetch(`${base}/boom`)).status).toBe(500);
    } finally {
      server.close();
    }
  });

  it('treats only a 4xx status on the error as the client’s fault', () => {
    expect(defaultErrorAnswer(Object.assign(new Error('x'), { status: 413 })).status).toBe(413);
    expect(defaultErrorAnswer(Object.assign(new Error('x'), { status: 503 })).status).toBe(500);
    expect(defaultErrorAnswer(Object.assign(new Error('x'), { status: '400' })).status).toBe(500);
    expect(defaultErrorAnswer(null).status).toBe(500);
  });
});
