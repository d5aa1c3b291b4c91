import type { RaftMessage, ReplicaId } from '../../src/raft/index.js';
import type { Prng } from './prng.js';

/** How unreliable the network of one run is. Delays are in simulated time units (a tick is TICK_INTERVAL_TIME). */
export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  /**
   * Links are FIFO, like the TCP connection between two brokers; a slow message (a retransmission, a reconnect)
   * takes up to slowDelayTimeMax and lets later messages overtake it: that is reordering.
   */
  slowProbability: number;
  /** false: every message is delayed on its own, so any two may arrive in either order (a datagram network). */
  fifo: boolean;
  delayTimeMin: number;
  delayTimeMax: number;
  slowDelayTimeMax: number;
}

export const RELIABLE_NETWORK: NetworkFaults = {
  dropProbability: 0,
  duplicateProbability: 0,
  slowProbability: 0,
  fifo: true,
  delayTimeMin: 1,
  delayTimeMax: 8,
  slowDelayTimeMax: 8,
};

/**
 * Links between replicas: a message is dropped, duplicated or delayed at random, and never crosses a partition or
 * a one-way cut, neither when it is sent nor when it would arrive.
 */
export class SimulatedNetwork {
  /** Replicas in different groups cannot talk; undefined: no partition. */
  private groupOf: Map<ReplicaId, number> | undefined;
  /** "from>to" links that drop everything in that direction. */
  private readonly cuts = new Set<number>();
  /** Per link, when its last in-order message arrives: a later one arrives no earlier. */
  private readonly lastArrivalTimes = new Map<number, number>();
  sentCount = 0;
  droppedCount = 0;
  duplicatedCount = 0;

  constructor(
    private readonly prng: Prng,
    public faults: NetworkFaults,
  ) {}

  /** The arrival times of a message sent at now: none when dropped, two when duplicated. */
  transmit(message: RaftMessage, now: number): number[] {
    this.sentCount++;
    if (!this.connected(message.from, message.to) || this.prng.chance(this.faults.dropProbability)) {
      this.droppedCount++;
      return [];
    }
    const link = linkKey(message.from, message.to);
    const arrivals = [this.arrival(link, now)];
    if (this.prng.chance(this.faults.duplicateProbability)) {
      this.duplicatedCount++;
      arrivals.push(this.arrival(link, now));
    }
    return arrivals;
  }

  connected(from: ReplicaId, to: ReplicaId): boolean {
    if (this.cuts.has(linkKey(from, to))) return false;
    return this.groupOf === undefined || this.groupOf.get(from) === this.groupOf.get(to);
  }

  partition(groups: readonly (readonly ReplicaId[])[]): void {
    this.groupOf = new Map();
    groups.forEach((group, groupNumber) => group.forEach((replicaId) => this.groupOf!.set(replicaId, groupNumber)));
  }

  cut(from: ReplicaId, to: ReplicaId): void {
    this.cuts.add(linkKey(from, to));
  }

  healAll(): void {
    this.groupOf = undefined;
    this.cuts.clear();
  }

  describe(): string {
    const groups = this.groupOf === undefined ? 'none' : JSON.stringify([...this.groupOf]);
    return `partition ${groups}, cuts [${[...this.cuts].map((key) => `${Math.floor(key / 1000)}>${key % 1000}`).join(' ')}]`;
  }

  private arrival(link: number, now: number): number {
    const { delayTimeMin, delayTimeMax, slowProbability, slowDelayTimeMax, fifo } = this.faults;
    if (this.prng.chance(slowProbability)) return now + this.prng.between(delayTimeMin, slowDelayTimeMax);
    const arrival = Math.max(now + this.prng.between(delayTimeMin, delayTimeMax), fifo ? (this.lastArrivalTimes.get(link) ?? 0) : 0);
    this.lastArrivalTimes.set(link, arrival);
    return arrival;
  }
}

function linkKey(from: ReplicaId, to: ReplicaId): number {
  return from * 1000 + to;
}
