import { assertInvariant } from './raft-invariant.js';

/**
 * The AppendRequests with entries in flight to one follower, as the last index each one carries: a bounded ring, so
 * that a slow follower holds back the leader instead of piling messages up in the network.
 */
export class Inflights {
  private readonly lastIndexes: number[];
  private start = 0;
  private countValue = 0;

  constructor(readonly capacity: number) {
    this.lastIndexes = new Array<number>(capacity).fill(0);
  }

  get count(): number {
    return this.countValue;
  }

  get full(): boolean {
    return this.countValue === this.capacity;
  }

  add(lastIndex: number): void {
    assertInvariant(!this.full, () => `More than ${this.capacity} appends in flight`);
    this.lastIndexes[(this.start + this.countValue) % this.capacity] = lastIndex;
    this.countValue++;
  }

  /** The follower acknowledged everything up to index: the appends that end there or before have arrived. */
  freeTo(index: number): void {
    while (this.countValue > 0 && this.lastIndexes[this.start] <= index) this.freeFirstOne();
  }

  /** Frees one slot without an acknowledgement, so that a lost one cannot stall replication. */
  freeFirstOne(): void {
    if (this.countValue === 0) return;
    this.start = (this.start + 1) % this.capacity;
    this.countValue--;
  }

  reset(): void {
    this.start = 0;
    this.countValue = 0;
  }
}
