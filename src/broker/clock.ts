/** The wall clock, injected so that a simulation can run the broker on simulated time. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
