import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeepStats, keepReason, parseKeptHeader, reportStatsWhileBusy } from './keep';

const quiet = { status: 200, durationMs: 10, slowMs: 1000, downstreamFailed: false, downstreamKept: false };

describe('keepReason', () => {
  it('discards a quick, healthy request whose downstream was healthy', () => {
    expect(keepReason(quiet)).toBeUndefined();
    expect(keepReason({ ...quiet, status: 404 })).toBeUndefined();
    expect(keepReason({ ...quiet, status: 429 })).toBeUndefined();
  });

  it('keeps its own 5xx (or no answer at all) as error', () => {
    expect(keepReason({ ...quiet, status: 500 })).toBe('error');
    expect(keepReason({ ...quiet, status: 504, downstreamKept: true })).toBe('error');
    expect(keepReason({ ...quiet, status: undefined })).toBe('error');
  });

  it('keeps a slow request as latency; 0 disables the threshold', () => {
    expect(keepReason({ ...quiet, durationMs: 1000 })).toBe('latency');
    expect(keepReason({ ...quiet, durationMs: 999 })).toBeUndefined();
    expect(keepReason({ ...quiet, durationMs: 60_000, slowMs: 0 })).toBeUndefined();
  });

  it('keeps a healthy answer on a failed or kept downstream path as downstream', () => {
    expect(keepReason({ ...quiet, downstreamFailed: true })).toBe('error');
    expect(keepReason({ ...quiet, downstreamKept: true })).toBe('downstream');
  });

  it('never discards a 5xx, whatever else is true', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 599 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        fc.boolean(),
        (status, durationMs, slowMs, downstreamFailed, downstreamKept) =>
          keepReason({ status, durationMs, slowMs, downstreamFailed, downstreamKept }) === 'error',
      ),
    );
  });
});

describe('parseKeptHeader', () => {
  it('reads the reasons, and treats any other present value as downstream', () => {
    expect(parseKeptHeader('error')).toBe('error');
    expect(parseKeptHeader(' Latency ')).toBe('latency');
    expect(parseKeptHeader(['downstream', 'error'])).toBe('downstream');
    expect(parseKeptHeader('yes')).toBe('downstream');
    expect(parseKeptHeader('')).toBeUndefined();
    expect(parseKeptHeader(undefined)).toBeUndefined();
  });
});

describe('KeepStats', () => {
  it('counts sampled by rule, kept by reason, and discarded', () => {
    const stats = new KeepStats();
    stats.sampled('parcel-api');
    stats.sampled('parcel-api');
    stats.sampled();
    stats.unsampled('error');
    stats.unsampled('downstream');
    stats.unsampled(undefined);
    stats.unsampled(undefined);
    expect(stats.snapshot()).toEqual({
      requests: 7,
      sampled: { total: 3, byRule: { 'parcel-api': 2, upstream: 1 } },
      kept: { error: 1, latency: 0, downstream: 1 },
      discarded: 2,
    });
  });
});

describe('reportStatsWhileBusy', () => {
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('reports once per interval in which requests came, and stays quiet while idle', async () => {
    const stats = new KeepStats();
    const reports: number[] = [];
    const timer = reportStatsWhileBusy(
      () => stats.snapshot(),
      (s) => reports.push(s.requests),
      20,
    );
    try {
      stats.sampled('Default');
      await tick(70);
      expect(reports).toEqual([1]);
      stats.unsampled(undefined);
      stats.unsampled('error');
      await tick(70);
      expect(reports).toEqual([1, 3]);
    } finally {
      clearInterval(timer);
    }
  });

  it('is off at 0', () => {
    expect(
      reportStatsWhileBusy(
        () => ({ requests: 1 }),
        () => {},
        0,
      ),
    ).toBeUndefined();
  });
});
