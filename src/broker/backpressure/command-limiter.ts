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

/**
 * Commands a partition always admits: those that free capacity or must not be lost. Completing or failing a job and
 * cancelling an instance end work; activating jobs is how waiting work drains (the instances awaiting their result
 * hold their slots until their jobs are done, so refusing activations under load would stall the very instances
 * that fill the limit). Activations in flight are bounded by the workers' long polls, not by the offered load.
 */
export function isAlwaysAccepted(command: { valueType: string; intent: string }): boolean {
  const { valueType, intent } = command;
  if (valueType === 'JOB') return intent === 'COMPLETE' || intent === 'FAIL';
  if (valueType === 'JOB_BATCH') return intent === 'ACTIVATE';
  if (valueType === 'PROCESS_INSTANCE') return intent === 'CANCEL';
  return valueType === 'DEPLOYMENT' && intent === 'DISTRIBUTE';
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
 * completions, activations, cancellations) are admitted without being counted or sampled, as in Zeebe: they are
 * cheap and quick, and their fast answers would otherwise keep growing the limit while the commands it is there
 * to bound (creations) are slow.
 *
 * As in Zeebe, a command is in flight until its request is answered: a creation awaiting its instance's result
 * is held (by request id) past its own processing until the result, a rejection or the request's timeout is
 * answered, so the instances a client waits for are bounded by the limit instead of piling up behind their jobs.
 */
export class CommandLimiter {
  private inFlightCount = 0;
  private rejectedCount = 0;
  /** Accepted-at times of the held commands, by request id; at most the limit of them, as each is in flight. */
  private readonly held = new Map<number, number>();

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

  /**
   * Admits a command (true) or says to refuse it with RESOURCE_EXHAUSTED (false). An always-accepted command takes no
   * slot: the caller must not report its completion (onCompleted) either.
   */
  tryAcquire(alwaysAccepted: boolean): boolean {
    if (alwaysAccepted) return true;
    if (this.inFlightCount >= this.algorithm.limit) {
      this.rejectedCount++;
      return false;
    }
    this.inFlightCount++;
    return true;
  }

  /** Commands processed whose answer is still to come (creations awaiting their instance's result). */
  get awaitingAnswer(): number {
    return this.held.size;
  }

  /** An admitted command was answered: latencyMs after it was admitted, at nowMs. */
  onCompleted(latencyMs: number, nowMs: number): void {
    this.algorithm.onSample({ latencyMs, inFlight: this.inFlightCount, nowMs });
    if (this.inFlightCount > 0) this.inFlightCount--;
  }

  /** An admitted command is processed but answered later: it keeps its slot until onAnswered or release. */
  hold(requestId: number, acceptedAtMs: number): void {
    this.held.set(requestId, acceptedAtMs);
  }

  /**
   * The request of a held command was answered (its result, a rejection, or DEADLINE_EXCEEDED): the slot is free and
   * the whole wait is a latency sample, as for any other command. Unknown ids (never held, or answered already) are
   * ignored, so a late answer cannot free another command's slot.
   */
  onAnswered(requestId: number, nowMs: number): boolean {
    const acceptedAtMs = this.held.get(requestId);
    if (acceptedAtMs === undefined) return false;
    this.held.delete(requestId);
    this.onCompleted(nowMs - acceptedAtMs, nowMs);
    return true;
  }

  /** A held command will never be answered (its instance was cancelled): the slot is free; the wait says nothing. */
  release(requestId: number): void {
    if (this.held.delete(requestId) && this.inFlightCount > 0) this.inFlightCount--;
  }
}
