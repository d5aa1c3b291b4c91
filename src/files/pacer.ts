/** Sleeps shorter than this are saved up: timers are not that precise, and each one is a turn of the event loop. */
const PACING_SLEEP_MS_MIN = 5;

/**
 * Keeps a background loop (a snapshot's copy, a compaction's file deletions) to a share of the time: the time since
 * the last pace is busy time, followed by busy * (1 / fraction - 1) of sleep. Work the loop awaits on other threads
 * (RocksDB's reads, the kernel's unlinks) counts as busy too, so the share is an upper bound.
 */
export class Pacer {
  private readonly sleepPerBusyMs: number;
  private lastMs = performance.now();
  private owedMs = 0;

  constructor(busyFractionMax: number) {
    if (!(busyFractionMax > 0 && busyFractionMax <= 1)) throw new RangeError(`Expected a busy fraction in (0, 1], but got ${busyFractionMax}`);
    this.sleepPerBusyMs = 1 / busyFractionMax - 1;
  }

  async pace(): Promise<void> {
    if (this.sleepPerBusyMs === 0) return;
    const nowMs = performance.now();
    this.owedMs += (nowMs - this.lastMs) * this.sleepPerBusyMs;
    if (this.owedMs >= PACING_SLEEP_MS_MIN) {
      await new Promise((resolve) => setTimeout(resolve, this.owedMs));
      this.owedMs = 0;
    }
    this.lastMs = performance.now();
  }
}
