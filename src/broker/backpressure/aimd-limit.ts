import { clampLimit, type LatencySample, type LimitAlgorithm } from './limit-algorithm.js';

export interface AimdLimitOptions {
  limitInitial: number;
  limitMin: number;
  limitMax: number;
  /** A command slower than this is a congestion signal (Zeebe's requestTimeout). */
  latencyThresholdMs: number;
  /** The limit is multiplied by this on congestion (0 < ratio < 1). */
  backoffRatio: number;
  /** The most the limit grows within one threshold interval, as a fraction of itself (at least one command). */
  growthRatioMax: number;
}

/** Zeebe's AIMD defaults, with room for the bursts a group-committing partition absorbs in one fsync. */
export const AIMD_DEFAULTS: AimdLimitOptions = { limitInitial: 1000, limitMin: 64, limitMax: 20_000, latencyThresholdMs: 200, backoffRatio: 0.9, growthRatioMax: 0.1 };

/**
 * Additive increase, multiplicative decrease, as TCP and Zeebe's AimdLimit: every command answered within the
 * threshold while the limit is in use (at least half of it in flight) adds one; a slow one, while the limit is in
 * use, multiplies the limit by the back-off ratio. Like TCP, which backs off once per round trip, the limit backs off
 * at most once per threshold interval: the commands of one slow moment all arrive late together and are one
 * congestion signal, not hundreds. Growth is bounded per interval too (growthRatioMax of the limit): otherwise, at
 * thousands of answers a second, the limit would settle where the latency of what it admits is several times the
 * threshold.
 */
export class AimdLimit implements LimitAlgorithm {
  private current: number;
  private lastDecreaseMs = Number.NEGATIVE_INFINITY;
  private growthIntervalStartMs = Number.NEGATIVE_INFINITY;
  private grownInInterval = 0;
  private growthInIntervalMax = 1;

  constructor(private readonly options: AimdLimitOptions = AIMD_DEFAULTS) {
    const { limitMin, limitMax, backoffRatio } = options;
    if (!(limitMin >= 1 && limitMin <= limitMax)) throw new RangeError(`Expected 1 <= limitMin <= limitMax, but got ${limitMin} and ${limitMax}`);
    if (!(backoffRatio > 0 && backoffRatio < 1)) throw new RangeError(`Expected a back-off ratio between 0 and 1, but got ${backoffRatio}`);
    if (!(options.growthRatioMax > 0)) throw new RangeError(`Expected a growth ratio above 0, but got ${options.growthRatioMax}`);
    this.current = clampLimit(options.limitInitial, limitMin, limitMax);
  }

  get limit(): number {
    return this.current;
  }

  onSample({ latencyMs, inFlight, nowMs }: LatencySample): void {
    const { limitMin, limitMax, latencyThresholdMs, backoffRatio } = this.options;
    // A limit that is not used says nothing about capacity either way: growing it would lift the bound unchecked,
    // and shrinking it for a slow answer (a pause of the machine, a slow worker of an instance awaited with its
    // result) would only refuse the next burst of a load the partition carries well.
    if (inFlight * 2 < this.current) return;
    if (latencyMs > latencyThresholdMs) {
      if (nowMs - this.lastDecreaseMs < latencyThresholdMs) return;
      this.lastDecreaseMs = nowMs;
      this.current = clampLimit(this.current * backoffRatio, limitMin, limitMax);
      return;
    }
    // Growth is bounded per interval like the back-off: at thousands of answers a second, one per answer would lift
    // the limit (and the latency of what it admits) far faster than the back-off can bring it down.
    if (nowMs - this.growthIntervalStartMs >= latencyThresholdMs) {
      this.growthIntervalStartMs = nowMs;
      this.grownInInterval = 0;
      this.growthInIntervalMax = Math.max(1, Math.floor(this.current * this.options.growthRatioMax));
    }
    if (this.grownInInterval >= this.growthInIntervalMax) return;
    this.grownInInterval++;
    this.current = clampLimit(this.current + 1, limitMin, limitMax);
  }
}
