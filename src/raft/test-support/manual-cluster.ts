import { MemoryRaftLogStorage } from '../memory-log-storage.js';
import type { HardState, RaftEntry, SnapshotMetadata } from '../log-storage.js';
import type { RaftMessage } from '../messages.js';
import type { RaftConfigInput, ReplicaId } from '../raft-config.js';
import { RaftNode } from '../raft-node.js';
import type { Ready } from '../ready.js';

/** Bounds the delivery loops, so that a test of a livelock fails instead of hanging. */
const DELIVERIES_MAX = 10_000;

export type ConfigOverrides = Partial<Omit<RaftConfigInput, 'replicaId' | 'replicaIds'>>;

/**
 * One replica driven by hand: it applies each Ready at once (log writes to a MemoryRaftLogStorage, hard state,
 * committed entries, snapshot installs) and, unless told otherwise, reports its whole log durable right away.
 * Its application state is the list of applied payloads; a snapshot is that list as JSON.
 */
export class ManualReplica {
  node!: RaftNode;
  storage = new MemoryRaftLogStorage();
  hardState: HardState | undefined;
  snapshot: (SnapshotMetadata & { bytes: Uint8Array }) | undefined;
  applied: string[] = [];
  appliedIndex = 0;
  appliedTerm = 0;
  readonly readies: Ready[] = [];
  private incoming: Uint8Array[] = [];
  /** Whether persisted() follows every Ready at once; off, the test calls persist() itself. */
  autoPersist = true;

  constructor(
    readonly replicaId: ReplicaId,
    private readonly cluster: ManualCluster,
    private readonly config: RaftConfigInput,
  ) {
    this.start();
  }

  start(logLost = false): void {
    this.incoming = [];
    this.node = new RaftNode({
      config: { ...this.config, replicaId: this.replicaId },
      storage: this.storage,
      snapshotSource: {
        read: (index, term, offsetBytes, sizeBytesMax) => {
          const snapshot = this.snapshot;
          if (snapshot === undefined || snapshot.index !== index || snapshot.term !== term) return undefined;
          return { bytes: snapshot.bytes.subarray(offsetBytes, offsetBytes + sizeBytesMax), totalSizeBytes: snapshot.bytes.byteLength };
        },
      },
      random: this.cluster.random,
      hardState: this.hardState,
      snapshot: this.snapshot === undefined ? undefined : { index: this.snapshot.index, term: this.snapshot.term },
      appliedIndex: this.appliedIndex,
      logLost,
    });
    this.drain();
  }

  /** A crash that loses nothing (everything was reported durable) and a restart from what is stored. */
  restart(): void {
    this.start();
  }

  get status(): RaftNode['status'] {
    return this.node.status;
  }

  drain(): void {
    while (this.node.hasReady()) {
      const ready = this.node.ready();
      this.readies.push(ready);
      this.handle(ready);
    }
  }

  persist(): void {
    this.node.persisted(this.storage.lastIndex);
    this.drain();
  }

  propose(...payloads: string[]): ReturnType<RaftNode['propose']> {
    const result = this.node.propose(payloads.map((payload) => new TextEncoder().encode(payload)));
    this.drain();
    return result;
  }

  /** Snapshots the applied state and compacts the log up to it. */
  takeSnapshot(): void {
    const bytes = new TextEncoder().encode(JSON.stringify({ applied: this.applied, padding: 'x'.repeat(200) }));
    this.snapshot = { index: this.appliedIndex, term: this.appliedTerm, bytes };
    this.node.snapshotTaken(this.appliedIndex, this.appliedTerm);
    this.storage.compactBefore(this.appliedIndex + 1);
    this.drain();
  }

  logTerms(): number[] {
    const terms: number[] = [];
    for (let index = this.storage.firstIndex; index <= this.storage.lastIndex; index++) terms.push(this.storage.termAt(index)!);
    return terms;
  }

  private handle(ready: Ready): void {
    if (ready.truncateAfterIndex !== undefined) this.storage.truncateAfter(ready.truncateAfterIndex);
    this.storage.append(ready.entriesToAppend);
    for (const chunk of ready.snapshotChunks) {
      if (chunk.offsetBytes === 0) this.incoming = [];
      this.incoming.push(chunk.bytes);
    }
    if (ready.hardState !== undefined) this.hardState = ready.hardState;
    for (const message of ready.messages) this.cluster.send(message);
    for (const entry of ready.committedEntries) this.apply(entry);
    if (ready.snapshotToInstall !== undefined) this.install(ready.snapshotToInstall);
    if (this.autoPersist && (ready.entriesToAppend.length > 0 || ready.truncateAfterIndex !== undefined)) {
      this.node.persisted(this.storage.lastIndex);
    }
  }

  private apply(entry: RaftEntry): void {
    if (entry.payload.byteLength > 0) this.applied.push(new TextDecoder().decode(entry.payload));
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
  }

  private install(snapshot: SnapshotMetadata): void {
    const bytes = Buffer.concat(this.incoming);
    this.incoming = [];
    this.snapshot = { ...snapshot, bytes };
    this.applied = (JSON.parse(new TextDecoder().decode(bytes)) as { applied: string[] }).applied;
    this.appliedIndex = snapshot.index;
    this.appliedTerm = snapshot.term;
    this.storage.reset(snapshot.index + 1);
    this.node.snapshotInstalled(snapshot.index, snapshot.term);
  }
}

/**
 * A few replicas and a message queue that the test delivers from, with links that can be cut. Deterministic: the
 * election timeouts come from a fixed sequence, and nothing moves unless the test ticks or delivers.
 */
export class ManualCluster {
  readonly replicas = new Map<ReplicaId, ManualReplica>();
  inFlight: RaftMessage[] = [];
  private readonly cutLinks = new Set<string>();
  private randomState = 1;

  constructor(replicaCount: number, overrides: ConfigOverrides = {}) {
    const replicaIds = Array.from({ length: replicaCount }, (_, position) => position + 1);
    const config: RaftConfigInput = { replicaId: 1, replicaIds, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2, ...overrides };
    for (const replicaId of replicaIds) this.replicas.set(replicaId, new ManualReplica(replicaId, this, config));
  }

  /** A fixed pseudo-random sequence (a linear congruential generator): tests do not depend on Math.random. */
  readonly random = (): number => {
    this.randomState = (Math.imul(this.randomState, 1103515245) + 12345) >>> 0;
    return this.randomState / 4294967296;
  };

  replica(replicaId: ReplicaId): ManualReplica {
    return this.replicas.get(replicaId)!;
  }

  send(message: RaftMessage): void {
    this.inFlight.push(message);
  }

  /** Cuts the links between the two groups (both directions). */
  partition(left: readonly ReplicaId[], right: readonly ReplicaId[]): void {
    for (const from of left) {
      for (const to of right) {
        this.cutLinks.add(`${from}>${to}`);
        this.cutLinks.add(`${to}>${from}`);
      }
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  tick(replicaId: ReplicaId, count = 1): void {
    const replica = this.replica(replicaId);
    for (let tick = 0; tick < count; tick++) {
      replica.node.tick();
      replica.drain();
    }
  }

  /** Ticks every replica once per round, delivering everything in between. */
  tickAll(rounds: number): void {
    for (let round = 0; round < rounds; round++) {
      for (const replicaId of this.replicas.keys()) this.tick(replicaId);
      this.deliverAll();
    }
  }

  /** Delivers messages (those that pass the filter, over links that are not cut) until none is left. */
  deliverAll(filter: (message: RaftMessage) => boolean = () => true): RaftMessage[] {
    const delivered: RaftMessage[] = [];
    for (let count = 0; count < DELIVERIES_MAX; count++) {
      const position = this.inFlight.findIndex((message) => filter(message));
      if (position === -1) return delivered;
      const [message] = this.inFlight.splice(position, 1);
      if (this.cutLinks.has(`${message.from}>${message.to}`)) continue;
      delivered.push(message);
      const replica = this.replica(message.to);
      replica.node.step(message);
      replica.drain();
    }
    throw new Error(`More than ${DELIVERIES_MAX} deliveries: a message storm`);
  }

  /** Ticks replica replicaId until its election timeout fires, then runs the election (and the first appends) to the end. */
  elect(replicaId: ReplicaId): void {
    const replica = this.replica(replicaId);
    for (let tick = 0; tick < 2 * replica.node.config.electionTimeoutTicks && replica.status.role === 'follower'; tick++) this.tick(replicaId);
    this.deliverAll();
  }

  leaderIds(): ReplicaId[] {
    return [...this.replicas.values()].filter((replica) => replica.status.role === 'leader').map((replica) => replica.replicaId);
  }
}
