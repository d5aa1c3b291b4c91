import { AIMD_DEFAULTS, AimdLimit } from './aimd-limit.js';
import { FixedLimit, type BackpressureAlgorithmName, type LimitAlgorithm } from './limit-algorithm.js';
import { VEGAS_DEFAULTS, VegasLimit } from './vegas-limit.js';

/** How a partition limits the commands it has in flight (`tributary broker --backpressure-algorithm`). */
export interface BackpressureConfig {
  algorithm: BackpressureAlgorithmName;
  /** fixed: the limit itself; aimd and vegas: the most they may grow to. */
  limitMax: number;
}

export const BACKPRESSURE_DEFAULTS: BackpressureConfig = { algorithm: 'aimd', limitMax: AIMD_DEFAULTS.limitMax };

/** Commands a partition always admits: they free capacity (job completions and failures) or must not be lost. */
export function isAlwaysAccepted(command: { valueType: string; intent: string }): boolean {
  if (command.valueType === 'DEPLOYMENT' && command.intent === 'DISTRIBUTE') return true;
  return command.valueType === 'JOB' && (command.intent === 'COMPLETE' || command.intent === 'FAIL');
}

export function createLimitAlgorithm(config: BackpressureConfig): LimitAlgorithm {
  switch (config.algorithm) {
    case 'fixed':
      return new FixedLimit(config.limitMax);
    case 'aimd':
      return new AimdLimit(withLimitMax(AIMD_DEFAULTS, config.limitMax));
    case 'vegas':
      return new VegasLimit(withLimitMax(VEGAS_DEFAULTS, config.limitMax));
  }
}

function withLimitMax<T extends { limitInitial: number; limitMin: number; limitMax: number }>(defaults: T, limitMax: number): T {
  if (!(Number.isInteger(limitMax) && limitMax >= 1)) throw new RangeError(`Expected a back-pressure limit of at least 1, but got ${limitMax}`);
  const limitMin = Math.min(defaults.limitMin, limitMax);
  return { ...defaults, limitMax, limitMin, limitInitial: Math.min(defaults.limitInitial, limitMax) };
}

/**
 * One partition's admission control: counts the commands in flight, admits a new one only below the algorithm's
 * limit, and feeds each completion's latency back to the algorithm. Commands the partition must always take (job
 * completions and failures, which free capacity rather than use it) are admitted and counted all the same.
 */
export class CommandLimiter {
  private inFlightCount = 0;
  private rejectedCount = 0;

  constructor(private readonly algorithm: LimitAlgorithm) {}

  get limit(): number {
    return this.algorithm.limit;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Commands refused since the partition opened. */
  get rejected(): number {
    return this.rejectedCount;
  }

  /** Admits a command (true) or says to refuse it with RESOURCE_EXHAUSTED (false). */
  tryAcquire(alwaysAccepted: boolean): boolean {
    if (!alwaysAccepted && this.inFlightCount >= this.algorithm.limit) {
      this.rejectedCount++;
      return false;
    }
    this.inFlightCount++;
    return true;
  }

  /** An admitted command was answered: latencyMs after it was admitted, at nowMs. */
  onCompleted(latencyMs: number, nowMs: number): void {
    this.algorithm.onSample({ latencyMs, inFlight: this.inFlightCount, nowMs });
    if (this.inFlightCount > 0) this.inFlightCount--;
  }
}
