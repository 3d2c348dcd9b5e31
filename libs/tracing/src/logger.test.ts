import { describe, expect, it } from 'vitest';
import { traceStorage } from './context';
import { NOOP_SPAN } from './index';
import { createLogger } from './logger';

/** A logger whose lines are collected, parsed, for assertions on the shape every piece writes. */
function capture(service?: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    ...(service ? { service } : {}),
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('createLogger: the one log shape', () => {
  it('writes label levels, ISO times and the service name, and nothing host-specific', () => {
    const { logger, lines } = capture('gateway');
    logger.warn({ target: 'parcel-api' }, 'slow upstream');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      level: 'warn',
      service: 'gateway',
      target: 'parcel-api',
      msg: 'slow upstream',
    });
    expect(line?.time).toMatch(ISO_TIME);
    expect(Object.keys(line ?? {}).sort()).toEqual(['level', 'msg', 'service', 'target', 'time']);
  });

  it('keeps the shape in child loggers and filters by level', () => {
    const { logger, lines } = capture();
    const child = logger.child({ service: 'parcel-api' });
    child.debug('not written at info');
    child.error('written');
    expect(lines).toEqual([
      { level: 'error', time: expect.stringMatching(ISO_TIME), service: 'parcel-api', msg: 'written' },
    ]);
  });

  it('stamps trace_id on lines written inside a request, and only there', () => {
    const { logger, lines } = capture('warehouse-query');
    const traceId = '1-67a1b2c3-0123456789abcdef01234567';
    traceStorage.run(
      { trace: { traceId, sampled: false, extra: [], segment: NOOP_SPAN }, span: NOOP_SPAN },
      () => logger.info('inside'),
    );
    logger.info('outside');
    expect(lines.map((l) => [l.msg, l.trace_id])).toEqual([
      ['inside', traceId],
      ['outside', undefined],
    ]);
  });
});
