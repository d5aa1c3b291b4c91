import { RaftNode, type ProposeResult, type RaftConfigInput, type RaftEntry, type RaftMessage, type Ready, type ReceivedSnapshotChunk, type ReplicaId, type SnapshotMetadata } from '../../src/raft/index.js';
import type { Prng } from './prng.js';
import { SafetyViolation, type SafetyChecker } from './safety-checker.js';
import { SimulatedDisk } from './simulated-disk.js';
import { SimulatedStateMachine } from './simulated-state-machine.js';

/** What a replica needs from the simulation around it. */
export interface ReplicaEnvironment {
  readonly prng: Prng;
  readonly checker: SafetyChecker;
  readonly stats: ReplicaStats;
  send(message: RaftMessage): void;
  scheduleTick(replica: SimulatedReplica, incarnation: number): void;
  scheduleSync(replica: SimulatedReplica, incarnation: number): void;
  scheduleInstall(replica: SimulatedReplica, incarnation: number, snapshot: SnapshotMetadata, bytes: Uint8Array): void;
  note(text: string): void;
}

export interface ReplicaStats {
  truncations: number;
  /** Proposals a client was told committed: the entry at their index committed with their term. */
  proposalsReportedCommitted: number;
  /** Proposals a client was told did not commit: another term's entry committed at their index (a deposed leader's). */
  proposalsReportedLost: number;
  /** Proposals whose outcome a replica cannot know: a received snapshot covered them while they were pending. */
  proposalsOutcomeUnknown: number;
  /** Of those, the ones that had in fact committed: telling the client they did not would be a lie. */
  proposalsOutcomeUnknownButCommitted: number;
  /** Crashes of a replica in the middle of receiving a snapshot. */
  snapshotTransfersInterrupted: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  snapshotChunksReceived: number;
  entriesApplied: number;
}

interface IncomingSnapshot extends SnapshotMetadata {
  bytes: Uint8Array;
  receivedBytes: number;
}

/**
 * One broker's worth of a partition replica: a RaftNode, its disk and its state machine, and the caller's loop that
 * drains every Ready in the documented IO order. Crashing drops everything but the disk; the incarnation number
 * makes events scheduled by an earlier life (a sync, an install) vanish.
 */
export class SimulatedReplica {
  node: RaftNode | undefined;
  readonly disk = new SimulatedDisk();
  stateMachine = new SimulatedStateMachine();
  incarnation = 0;
  private incoming: IncomingSnapshot | undefined;
  private logLostOnNextStart = false;
  /**
   * Proposals accepted by this replica and not settled yet, by index, as RaftServer keeps them: settled committed
   * when the entry at their index commits with their term, lost when it commits with another.
   */
  private readonly pendingProposals = new Map<number, { term: number; payload: Uint8Array }>();

  constructor(
    readonly replicaId: ReplicaId,
    private readonly config: RaftConfigInput,
    private readonly environment: ReplicaEnvironment,
  ) {}

  get up(): boolean {
    return this.node !== undefined;
  }

  /** Still recovering from a wipe (it does not vote), or will be when it starts. */
  get recovering(): boolean {
    if (this.node !== undefined) return this.node.status.recovering;
    return this.logLostOnNextStart || this.disk.storedHardState?.logLostInTerm !== undefined;
  }

  start(): void {
    const contents = this.disk.recover();
    const snapshot = contents.snapshot;
    this.stateMachine = snapshot === undefined ? new SimulatedStateMachine() : SimulatedStateMachine.decodeSnapshot(snapshot.bytes);
    if (this.stateMachine.appliedIndex !== (snapshot?.index ?? 0)) throw new Error(`Simulator bug: snapshot ${snapshot?.index} holds state ${this.stateMachine.appliedIndex}`);
    const random = this.environment.prng.fork();
    this.incarnation++;
    this.node = new RaftNode({
      config: { ...this.config, replicaId: this.replicaId },
      storage: contents.log,
      snapshotSource: { read: (index, term, offsetBytes, sizeBytesMax) => this.disk.readSnapshot(index, term, offsetBytes, sizeBytesMax) },
      random: () => random.next(),
      hardState: contents.hardState,
      snapshot: snapshot === undefined ? undefined : { index: snapshot.index, term: snapshot.term },
      appliedIndex: snapshot?.index ?? 0,
      logLost: this.logLostOnNextStart,
    });
    this.logLostOnNextStart = false;
    this.environment.checker.onStart(this.replicaId, snapshot?.index ?? 0, this.stateMachine.hash);
    this.environment.scheduleTick(this, this.incarnation);
    this.drain();
  }

  crash(): void {
    if (this.incoming !== undefined) this.environment.stats.snapshotTransfersInterrupted++;
    this.node = undefined;
    this.incoming = undefined;
    // A server that stops rejects what is pending as closed: the client does not learn the outcome.
    this.pendingProposals.clear();
    this.disk.crash(this.environment.prng);
    this.incarnation++;
  }

  /** Loses the data directory: log, snapshots and state. The hard state survives; the next start knows the log was lost. */
  wipe(): void {
    if (this.up) this.crash();
    this.disk.wipeData();
    this.environment.checker.onDataLost(this.replicaId);
    this.logLostOnNextStart = true;
  }

  // ---- inputs from the simulation ----

  tick(incarnation: number): void {
    if (incarnation !== this.incarnation || this.node === undefined) return;
    this.node.tick();
    this.drain();
    this.environment.scheduleTick(this, this.incarnation);
  }

  receive(message: RaftMessage): void {
    if (this.node === undefined) return;
    this.node.step(message);
    this.drain();
  }

  propose(payload: Uint8Array): ProposeResult {
    if (this.node === undefined) return { accepted: false, reason: 'not-leader', leaderId: undefined };
    const result = this.node.propose([payload]);
    if (result.accepted) this.pendingProposals.set(result.firstIndex, { term: result.term, payload });
    this.drain();
    return result;
  }

  syncCompleted(incarnation: number): void {
    if (incarnation !== this.incarnation || this.node === undefined) return;
    this.disk.completeSync();
    // The durable index as the disk reports it now, never one remembered from before a truncation.
    this.node.persisted(this.disk.durableIndex);
    this.drain();
    if (this.disk.hasUncoveredWrites) this.requestSync();
  }

  installCompleted(incarnation: number, snapshot: SnapshotMetadata, bytes: Uint8Array): void {
    if (incarnation !== this.incarnation || this.node === undefined) return;
    // Durable snapshot first, then the state, then the log: a crash in between leaves a snapshot recovery can use.
    this.disk.saveSnapshot({ ...snapshot, bytes });
    this.stateMachine = SimulatedStateMachine.decodeSnapshot(bytes);
    if (this.stateMachine.appliedIndex !== snapshot.index) throw new Error(`Simulator bug: snapshot ${snapshot.index} holds state ${this.stateMachine.appliedIndex}`);
    this.environment.checker.onDiscard(this.replicaId, this.node.status.term, snapshot.index);
    this.settleProposalsCoveredBy(snapshot.index);
    this.disk.resetLog(snapshot.index + 1);
    this.node.snapshotInstalled(snapshot.index, snapshot.term);
    this.environment.checker.onSnapshotInstalled(this.replicaId, snapshot.index, this.stateMachine.hash);
    this.environment.stats.snapshotsInstalled++;
    this.environment.note(`replica ${this.replicaId} installed the snapshot at ${snapshot.index}`);
    this.requestSync();
    this.drain();
  }

  /** Snapshots the applied state and compacts the log up to retainedEntryCount entries before it. */
  takeSnapshot(retainedEntryCount: number): void {
    const node = this.node;
    if (node === undefined || node.status.installingSnapshot !== undefined) return;
    const { appliedIndex, appliedTerm } = this.stateMachine;
    if (appliedIndex <= (this.disk.latestSnapshot?.index ?? 0)) return;
    this.disk.saveSnapshot({ index: appliedIndex, term: appliedTerm, bytes: this.stateMachine.encodeSnapshot() });
    node.snapshotTaken(appliedIndex, appliedTerm);
    this.disk.compactBefore(Math.max(1, appliedIndex + 1 - retainedEntryCount));
    this.environment.stats.snapshotsTaken++;
    this.requestSync();
    this.drain();
  }

  // ---- the caller's loop: Ready in IO order ----

  private drain(): void {
    const node = this.node!;
    // Each Ready applies at least one committed entry; beyond that, a few dozen Readys in a row mean a loop.
    const status = node.status;
    const readyCountMax = 100 + status.commitIndex - status.appliedIndex;
    for (let readyCount = 0; node.hasReady(); readyCount++) {
      if (readyCount > readyCountMax) throw new Error(`Simulator bug: replica ${this.replicaId} produces Ready after Ready`);
      this.handle(node, node.ready());
    }
  }

  private handle(node: RaftNode, ready: Ready): void {
    const environment = this.environment;
    // 1. Storage writes, visible at once, durable after the sync.
    if (ready.truncateAfterIndex !== undefined) {
      environment.checker.onTruncate(this.replicaId, ready.truncateAfterIndex);
      environment.checker.onDiscard(this.replicaId, node.status.term, ready.truncateAfterIndex);
      environment.stats.truncations++;
      this.disk.truncateAfter(ready.truncateAfterIndex);
    }
    if (ready.entriesToAppend.length > 0) this.disk.append(ready.entriesToAppend);
    for (const chunk of ready.snapshotChunks) this.writeChunk(chunk);
    if (this.disk.hasUncoveredWrites) this.requestSync();
    // 2. Hard state; synced before any message when it carries a new term or vote.
    if (ready.hardState !== undefined) this.disk.writeHardState(ready.hardState, ready.hardStateMustSync);
    // 3. Messages.
    for (const message of ready.messages) {
      if (message.type === 'append-accepted') environment.checker.onAcknowledged(this.replicaId, message.term, message.matchIndex);
      environment.send(message);
    }
    // 4. Committed entries.
    for (const entry of ready.committedEntries) this.apply(node, entry);
    // 5. A received snapshot to install.
    if (ready.snapshotToInstall !== undefined) this.install(ready.snapshotToInstall);
    if (ready.softState !== undefined) {
      environment.note(`replica ${this.replicaId} is ${ready.softState.role} in term ${ready.softState.term} (leader ${ready.softState.leaderId})`);
      if (ready.softState.role === 'leader') environment.checker.onBecameLeader({ replicaId: this.replicaId, status: node.status, log: this.disk.view });
    }
  }

  private apply(node: RaftNode, entry: RaftEntry): void {
    this.settleProposal(entry);
    this.stateMachine.apply(entry);
    this.environment.stats.entriesApplied++;
    this.environment.checker.onApply(this.replicaId, entry, node.status.term, this.stateMachine.hash);
  }

  /**
   * RaftServer's rule for telling a client its proposal's outcome, checked against the committed history: an entry
   * at the proposal's index with the proposal's term is the proposal (log matching), so it committed; any other
   * term means it never will. A client told "committed" must find its own payload there.
   */
  private settleProposal(entry: RaftEntry): void {
    const proposal = this.pendingProposals.get(entry.index);
    if (proposal === undefined) return;
    this.pendingProposals.delete(entry.index);
    if (proposal.term !== entry.term) {
      this.environment.stats.proposalsReportedLost++;
      return;
    }
    if (!samePayload(proposal.payload, entry.payload)) {
      throw new SafetyViolation(`Replica ${this.replicaId} would report its proposal at ${entry.index} (term ${proposal.term}) committed, but another payload committed there`);
    }
    this.environment.stats.proposalsReportedCommitted++;
  }

  /**
   * A snapshot replaces the entries up to snapshotIndex unseen: the replica cannot tell whether a proposal it held
   * there committed (its entry may be the one the snapshot covers, or one a later leader replaced), so the client
   * must hear "unknown", never "did not commit". The history says which it was; the count shows the case happens.
   */
  private settleProposalsCoveredBy(snapshotIndex: number): void {
    for (const [index, proposal] of this.pendingProposals) {
      if (index > snapshotIndex) continue;
      this.pendingProposals.delete(index);
      this.environment.stats.proposalsOutcomeUnknown++;
      const committed = this.environment.checker.committedEntryAt(index);
      if (committed !== undefined && committed.term === proposal.term && samePayload(committed.payload, proposal.payload)) {
        this.environment.stats.proposalsOutcomeUnknownButCommitted++;
      }
    }
  }

  private writeChunk(chunk: ReceivedSnapshotChunk): void {
    if (chunk.offsetBytes === 0) {
      this.incoming = { index: chunk.snapshotIndex, term: chunk.snapshotTerm, bytes: new Uint8Array(chunk.totalSizeBytes), receivedBytes: 0 };
    }
    const incoming = this.incoming;
    if (incoming === undefined || incoming.index !== chunk.snapshotIndex || incoming.term !== chunk.snapshotTerm || incoming.receivedBytes !== chunk.offsetBytes) {
      throw new Error(`Replica ${this.replicaId} got chunk ${chunk.snapshotIndex}@${chunk.offsetBytes} out of order (has ${incoming?.index}@${incoming?.receivedBytes})`);
    }
    incoming.bytes.set(chunk.bytes, chunk.offsetBytes);
    incoming.receivedBytes += chunk.bytes.byteLength;
    this.environment.stats.snapshotChunksReceived++;
  }

  private install(snapshot: SnapshotMetadata): void {
    const incoming = this.incoming;
    if (incoming === undefined || incoming.index !== snapshot.index || incoming.term !== snapshot.term || incoming.receivedBytes !== incoming.bytes.byteLength) {
      throw new Error(`Replica ${this.replicaId} was told to install snapshot ${snapshot.index} before receiving all of it`);
    }
    this.incoming = undefined;
    this.environment.scheduleInstall(this, this.incarnation, snapshot, incoming.bytes);
  }

  private requestSync(): void {
    if (this.disk.startSync()) this.environment.scheduleSync(this, this.incarnation);
  }
}

function samePayload(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let position = 0; position < left.byteLength; position++) if (left[position] !== right[position]) return false;
  return true;
}
