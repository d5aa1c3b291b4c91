import { clampLimit, type LatencySample, type LimitAlgorithm } from './limit-algorithm.js';

export interface VegasLimitOptions {
  limitInitial: number;
  limitMin: number;
  limitMax: number;
  /** The queue estimate below which the limit grows: alpha(limit) = alphaFactor * log10(limit). */
  alphaFactor: number;
  /** The queue estimate above which the limit shrinks: beta(limit) = betaFactor * log10(limit). */
  betaFactor: number;
  /**
   * How long the fastest latency seen stands for the latency without load before it is measured afresh, so that a
   * partition that became slower for good (more state, a slower disk) is not throttled for ever.
   */
  probeIntervalMs: number;
  /** Latencies are counted as at least this, so a clock with millisecond ticks never gives a zero round trip. */
  latencyFloorMs: number;
}

/** Zeebe's Vegas defaults (alpha 3, beta 6) over the same bounds as AIMD. */
export const VEGAS_DEFAULTS: VegasLimitOptions = {
  limitInitial: 1000,
  limitMin: 64,
  limitMax: 20_000,
  alphaFactor: 3,
  betaFactor: 6,
  probeIntervalMs: 10_000,
  latencyFloorMs: 1,
};

/**
 * TCP Vegas applied to commands, as Netflix's concurrency-limits and Zeebe: with the latency without load
 * (the fastest seen) and the latency now, limit * (1 - noLoad / now) estimates how many commands are queued rather
 * than being worked on. Few queued: grow by log10(limit); many: shrink by as much; in between: hold.
 */
export class VegasLimit implements LimitAlgorithm {
  private current: number;
  private noLoadLatencyMs = 0;
  private noLoadMeasuredAtMs = 0;

  constructor(private readonly options: VegasLimitOptions = VEGAS_DEFAULTS) {
    const { limitMin, limitMax, alphaFactor, betaFactor } = options;
    if (!(limitMin >= 1 && limitMin <= limitMax)) throw new RangeError(`Expected 1 <= limitMin <= limitMax, but got ${limitMin} and ${limitMax}`);
    if (!(alphaFactor > 0 && alphaFactor < betaFactor)) throw new RangeError(`Expected 0 < alphaFactor < betaFactor, but got ${alphaFactor} and ${betaFactor}`);
    this.current = clampLimit(options.limitInitial, limitMin, limitMax);
  }

  get limit(): number {
    return this.current;
  }

  onSample({ latencyMs, inFlight, nowMs }: LatencySample): void {
    const latency = Math.max(latencyMs, this.options.latencyFloorMs);
    const probeDue = nowMs - this.noLoadMeasuredAtMs >= this.options.probeIntervalMs;
    if (this.noLoadLatencyMs === 0 || latency < this.noLoadLatencyMs || probeDue) {
      this.noLoadLatencyMs = latency;
      this.noLoadMeasuredAtMs = nowMs;
      return;
    }
    if (inFlight * 2 < this.current) return;
    const queued = Math.ceil(this.current * (1 - this.noLoadLatencyMs / latency));
    const step = Math.max(1, Math.log10(this.current));
    const { alphaFactor, betaFactor, limitMin, limitMax } = this.options;
    let next = this.current;
    if (queued <= step) next = this.current + betaFactor * step;
    else if (queued < alphaFactor * step) next = this.current + step;
    else if (queued > betaFactor * step) next = this.current - step;
    this.current = clampLimit(next, limitMin, limitMax);
  }
}
