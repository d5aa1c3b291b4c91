import { describe, expect, it } from 'vitest';
import { AimdLimit, CommandLimiter, FixedLimit, VegasLimit, createLimitAlgorithm, type LimitAlgorithm } from './index.js';

const aimd = (limitInitial = 100) => new AimdLimit({ limitInitial, limitMin: 10, limitMax: 200, latencyThresholdMs: 100, backoffRatio: 0.5 });
const vegas = (limitInitial = 100) =>
  new VegasLimit({ limitInitial, limitMin: 10, limitMax: 1000, alphaFactor: 3, betaFactor: 6, probeIntervalMs: 10_000, latencyFloorMs: 1 });

/** Feeds count samples of one latency, one millisecond apart from startMs, with the limit fully in use. */
function feed(algorithm: LimitAlgorithm, count: number, latencyMs: number, startMs = 0): number {
  for (let i = 0; i < count; i++) algorithm.onSample({ latencyMs, inFlight: algorithm.limit, nowMs: startMs + i });
  return algorithm.limit;
}

describe('AIMD limit', () => {
  it('given fast answers while the limit is in use, then it grows by one per answer up to its maximum', () => {
    const limit = aimd();
    expect(feed(limit, 50, 5)).toBe(150);
    expect(feed(limit, 500, 5)).toBe(200);
  });

  it('given fast answers while little is in flight, then it stays where it is', () => {
    const limit = aimd();
    for (let i = 0; i < 100; i++) limit.onSample({ latencyMs: 5, inFlight: 10, nowMs: i });
    expect(limit.limit).toBe(100);
  });

  it('given a burst of slow answers, then it backs off once per threshold interval, not once per answer', () => {
    const limit = aimd();
    expect(feed(limit, 50, 500, 1000)).toBe(50);
    expect(feed(limit, 1, 500, 1100)).toBe(25);
    expect(feed(limit, 1000, 500, 2000)).toBe(10);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => new AimdLimit({ limitInitial: 5, limitMin: 0, limitMax: 10, latencyThresholdMs: 1, backoffRatio: 0.5 })).toThrow(RangeError);
    expect(() => new AimdLimit({ limitInitial: 5, limitMin: 1, limitMax: 10, latencyThresholdMs: 1, backoffRatio: 1 })).toThrow(RangeError);
  });
});

describe('Vegas limit', () => {
  it('given latency at its no-load level, then it grows', () => {
    const limit = vegas();
    feed(limit, 1, 10);
    expect(feed(limit, 20, 10, 1)).toBeGreaterThan(200);
  });

  it('given latency far above its no-load level, then it shrinks to its minimum', () => {
    const limit = vegas();
    feed(limit, 1, 10);
    expect(feed(limit, 100, 50, 1)).toBeLessThan(100);
    expect(feed(limit, 5000, 50, 200)).toBe(10);
  });

  it('given a partition that became slower for good, then after the probe interval the new latency counts as no load', () => {
    const limit = vegas();
    feed(limit, 1, 10);
    const shrunk = feed(limit, 100, 50, 1);
    feed(limit, 1, 50, 20_000);
    expect(feed(limit, 20, 50, 20_001)).toBeGreaterThan(shrunk);
  });
});

describe('command limiter', () => {
  it('given the limit in flight, then new commands are refused and counted, always-accepted ones admitted', () => {
    const limiter = new CommandLimiter(new FixedLimit(2));
    expect([limiter.tryAcquire(false), limiter.tryAcquire(false), limiter.tryAcquire(false)]).toEqual([true, true, false]);
    expect(limiter.tryAcquire(true)).toBe(true);
    expect({ inFlight: limiter.inFlight, rejected: limiter.rejected }).toEqual({ inFlight: 3, rejected: 1 });
    limiter.onCompleted(1, 0);
    limiter.onCompleted(1, 0);
    expect(limiter.tryAcquire(false)).toBe(true);
  });

  it('creates each algorithm from its name, keeping the bounds within the configured maximum', () => {
    expect(createLimitAlgorithm({ algorithm: 'fixed', limitMax: 7 }).limit).toBe(7);
    expect(createLimitAlgorithm({ algorithm: 'aimd', limitMax: 50 }).limit).toBe(50);
    expect(createLimitAlgorithm({ algorithm: 'vegas', limitMax: 30 }).limit).toBe(30);
    expect(() => createLimitAlgorithm({ algorithm: 'aimd', limitMax: 0 })).toThrow(RangeError);
  });
});
