import { describe, expect, it } from 'vitest';
import { AimdLimit, CommandLimiter, FixedLimit, VegasLimit, createLimitAlgorithm, type LimitAlgorithm } from './index.js';

const aimd = (limitInitial = 100, growthRatioMax = 1) => new AimdLimit({ limitInitial, limitMin: 10, limitMax: 200, latencyThresholdMs: 100, backoffRatio: 0.5, growthRatioMax });
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

  it('given many fast answers within one threshold interval, then it grows by at most its growth ratio in that interval', () => {
    const limit = aimd(100, 0.1);
    // 50 answers within 50 ms (the threshold interval is 100 ms): 10 % of 100.
    expect(feed(limit, 50, 5, 0)).toBe(110);
    expect(feed(limit, 50, 5, 100)).toBe(121);
  });

  it('given slow answers while little is in flight, then it stays where it is: the next burst is still accepted', () => {
    const limit = aimd();
    for (let i = 0; i < 10; i++) limit.onSample({ latencyMs: 500, inFlight: 49, nowMs: i * 1000 });
    expect(limit.limit).toBe(100);
  });

  it('given a burst of slow answers, then it backs off once per threshold interval, not once per answer', () => {
    const limit = aimd();
    expect(feed(limit, 50, 500, 1000)).toBe(50);
    expect(feed(limit, 1, 500, 1100)).toBe(25);
    expect(feed(limit, 1000, 500, 2000)).toBe(10);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => new AimdLimit({ limitInitial: 5, limitMin: 0, limitMax: 10, latencyThresholdMs: 1, backoffRatio: 0.5, growthRatioMax: 1 })).toThrow(RangeError);
    expect(() => new AimdLimit({ limitInitial: 5, limitMin: 1, limitMax: 10, latencyThresholdMs: 1, backoffRatio: 1, growthRatioMax: 1 })).toThrow(RangeError);
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
    // Always-accepted commands take no slot (as in Zeebe): their quick answers must not grow the limit.
    expect({ inFlight: limiter.inFlight, rejected: limiter.rejected }).toEqual({ inFlight: 2, rejected: 1 });
    limiter.onCompleted(1, 0);
    expect(limiter.tryAcquire(false)).toBe(true);
  });

  it('given a held command, then its slot stays taken until its request is answered, and a late or unknown answer frees nothing', () => {
    const limiter = new CommandLimiter(new FixedLimit(2));
    limiter.tryAcquire(false);
    limiter.tryAcquire(false);
    limiter.hold(7, 0);
    limiter.onCompleted(1, 0);
    expect(limiter.tryAcquire(false)).toBe(true);
    expect(limiter.tryAcquire(false)).toBe(false);
    expect(limiter.onAnswered(8, 10)).toBe(false);
    expect(limiter.onAnswered(7, 10)).toBe(true);
    expect(limiter.onAnswered(7, 10)).toBe(false);
    limiter.release(7);
    expect({ inFlight: limiter.inFlight, awaitingAnswer: limiter.awaitingAnswer }).toEqual({ inFlight: 1, awaitingAnswer: 0 });
  });

  it('given an AIMD limit, when a held command is answered slowly, then the limit backs off', () => {
    const limiter = new CommandLimiter(new AimdLimit({ limitInitial: 4, limitMin: 1, limitMax: 10, latencyThresholdMs: 200, backoffRatio: 0.5, growthRatioMax: 1 }));
    limiter.tryAcquire(false);
    limiter.tryAcquire(false);
    limiter.hold(1, 0);
    limiter.onAnswered(1, 5_000);
    expect(limiter.limit).toBe(2);
  });

  it('creates each algorithm from its name, keeping the bounds within the configured maximum', () => {
    expect(createLimitAlgorithm({ algorithm: 'fixed', limitMax: 7 }).limit).toBe(7);
    expect(createLimitAlgorithm({ algorithm: 'aimd', limitMax: 50 }).limit).toBe(50);
    expect(createLimitAlgorithm({ algorithm: 'vegas', limitMax: 30 }).limit).toBe(30);
    expect(() => createLimitAlgorithm({ algorithm: 'aimd', limitMax: 0 })).toThrow(RangeError);
  });
});
