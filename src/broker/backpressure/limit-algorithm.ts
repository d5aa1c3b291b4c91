/**
 * A limit on the commands one partition has in flight (accepted, not yet answered), moved by what the partition
 * measures. Algorithms are pure state machines, as Raft is here: the caller passes each command's latency and the
 * time; nothing inside reads a clock, so a test or a simulation drives them step by step.
 */
export interface LatencySample {
  /** From accepting the command to its answer being durable. */
  latencyMs: number;
  /** Commands in flight when this one completed, itself included. */
  inFlight: number;
  /** The caller's clock when the command completed. */
  nowMs: number;
}

export interface LimitAlgorithm {
  /** Commands that may be in flight at once; always a whole number of at least 1. */
  readonly limit: number;
  onSample(sample: LatencySample): void;
}

export const BACKPRESSURE_ALGORITHMS = ['aimd', 'vegas', 'fixed'] as const;
export type BackpressureAlgorithmName = (typeof BACKPRESSURE_ALGORITHMS)[number];

/** A limit that never moves: the partition's behaviour before the adaptive algorithms. */
export class FixedLimit implements LimitAlgorithm {
  readonly limit: number;

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`Expected a fixed limit of at least 1, but got ${limit}`);
    this.limit = limit;
  }

  onSample(): void {}
}

/** Keeps a limit whole and between its bounds. */
export function clampLimit(limit: number, limitMin: number, limitMax: number): number {
  return Math.min(limitMax, Math.max(limitMin, Math.floor(limit)));
}
