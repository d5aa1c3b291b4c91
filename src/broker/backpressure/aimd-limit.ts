import { clampLimit, type LatencySample, type LimitAlgorithm } from './limit-algorithm.js';

export interface AimdLimitOptions {
  limitInitial: number;
  limitMin: number;
  limitMax: number;
  /** A command slower than this is a congestion signal (Zeebe's requestTimeout). */
  latencyThresholdMs: number;
  /** The limit is multiplied by this on congestion (0 < ratio < 1). */
  backoffRatio: number;
}

/** Zeebe's AIMD defaults, with room for the bursts a group-committing partition absorbs in one fsync. */
export const AIMD_DEFAULTS: AimdLimitOptions = { limitInitial: 1000, limitMin: 64, limitMax: 20_000, latencyThresholdMs: 200, backoffRatio: 0.9 };

/**
 * Additive increase, multiplicative decrease, as TCP and Zeebe's AimdLimit: every command answered within the
 * threshold while the limit is in use (at least half of it in flight) adds one; a slow one multiplies the limit by
 * the back-off ratio. Like TCP, which backs off once per round trip, the limit backs off at most once per threshold
 * interval: the commands of one slow moment all arrive late together and are one congestion signal, not hundreds.
 */
export class AimdLimit implements LimitAlgorithm {
  private current: number;
  private lastDecreaseMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: AimdLimitOptions = AIMD_DEFAULTS) {
    const { limitMin, limitMax, backoffRatio } = options;
    if (!(limitMin >= 1 && limitMin <= limitMax)) throw new RangeError(`Expected 1 <= limitMin <= limitMax, but got ${limitMin} and ${limitMax}`);
    if (!(backoffRatio > 0 && backoffRatio < 1)) throw new RangeError(`Expected a back-off ratio between 0 and 1, but got ${backoffRatio}`);
    this.current = clampLimit(options.limitInitial, limitMin, limitMax);
  }

  get limit(): number {
    return this.current;
  }

  onSample({ latencyMs, inFlight, nowMs }: LatencySample): void {
    const { limitMin, limitMax, latencyThresholdMs, backoffRatio } = this.options;
    if (latencyMs > latencyThresholdMs) {
      if (nowMs - this.lastDecreaseMs < latencyThresholdMs) return;
      this.lastDecreaseMs = nowMs;
      this.current = clampLimit(this.current * backoffRatio, limitMin, limitMax);
      return;
    }
    // A limit that is not used says nothing about capacity: growing it then would only lift the bound unchecked.
    if (inFlight * 2 >= this.current) this.current = clampLimit(this.current + 1, limitMin, limitMax);
  }
}
