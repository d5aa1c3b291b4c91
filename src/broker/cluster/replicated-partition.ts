import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../../engine/index.js';
import { TributaryError } from '../../errors.js';
import type { SegmentedLog } from '../../log/index.js';
import { decodeRecordBatch, peekFirstPosition, type Record } from '../../protocol/index.js';
import { RaftServer, type RaftEntry, type RaftTransport, type SoftState } from '../../raft/index.js';
import { SnapshotStore, StateStore, restoreSnapshot } from '../../state/index.js';
import type { CommandLimiter } from '../backpressure/index.js';
import { CommandLoop } from '../command-loop.js';
import { findEntryIndexForPosition } from '../log-position-search.js';
import { newPartitionEngine } from '../partition-recovery.js';
import { StateRaftSnapshotStore, type RaftSnapshot } from '../raft-snapshot-store.js';
import { partitionFailedError, type NewCommand, type PartitionOptions } from '../partition.js';

export interface ReplicatedPartitionOptions extends PartitionOptions {
  nodeId: number;
  /** The nodes holding a replica of this partition, this one included. */
  replicaIds: number[];
  transport: RaftTransport;
  raftTickIntervalMs: number;
  /** The partition became the leader (ready to process) or stopped being it. */
  onRoleChange: (partition: ReplicatedPartition) => void;
  /** A command that was accepted will never be answered: its leader stepped down before it committed. */
  onRequestFailed: (requestId: number, error: TributaryError) => void;
}

export type ReplicaRole = 'LEADER' | 'FOLLOWER';

/** The leader of a term; it processes commands once the no-op entry of its term commits. */
interface Leadership {
  term: number;
  processing: boolean;
}

/**
 * One replica of a partition in a cluster. Every replica applies the committed entries of its Raft group to its
 * state; the leader also processes commands, proposing each command with its results as one entry, and answers,
 * runs side effects and exports once that entry is committed (on a quorum, after fsync). A new leader processes
 * only after the no-op entry of its term commits, which means it has applied everything committed before.
 * Stepping down throws away what was processed but not committed: the state is reopened from RocksDB (which holds
 * only committed transactions) and the committed log after it.
 */
export class ReplicatedPartition {
  private raft!: RaftServer;
  private leadership: Leadership | undefined;
  private softState: SoftState = { role: 'follower', term: 0, leaderId: undefined };
  /** The last record position in the state (on a leader, processed ones included). */
  private appliedPosition: number;
  /** The last record position committed: only this much of the state may reach RocksDB. */
  private committedPosition: number;
  private committedIndexValue = 0;
  /** Commands in applied entries that were not processed yet (follow-ups past a batch bound); a new leader runs them. */
  private unprocessed: Record[] = [];
  /** While the state is reopened after stepping down, committed entries wait here. */
  private reloading: RaftEntry[] | undefined;
  private failed: Error | undefined;
  private closed = false;
  /** Processes commands while this replica leads; its entries complete in the order Raft commits them. */
  private readonly loop: CommandLoop;

  private raftSnapshots!: StateRaftSnapshotStore;

  private constructor(
    private readonly options: ReplicatedPartitionOptions,
    public store: StateStore,
    public engine: Engine,
    readonly snapshots: SnapshotStore,
  ) {
    this.appliedPosition = store.position;
    this.committedPosition = store.position;
    // The position is set when this replica starts leading (startProcessing).
    this.loop = new CommandLoop(options, engine, 1, {
      canProcess: () => this.failed === undefined && !this.closed && this.leadership?.processing === true,
      write: (payload, lastPosition) => {
        this.appliedPosition = lastPosition;
        this.raft.propose(payload).catch(this.onProposalFailed);
        return 0;
      },
      lastEntryIndex: () => 0,
      // Nothing is flushed here (Raft does that); commands that wrote nothing behind committed ones are answered now.
      endTurn: () => this.loop.completeUnwritten([]),
    });
  }

  static async open(options: ReplicatedPartitionOptions): Promise<ReplicatedPartition> {
    const snapshots = new SnapshotStore({ dataDirectory: options.directory });
    // Raft and the snapshot store call back into the partition, which exists only after them: a holder bridges that.
    const opened: { partition?: ReplicatedPartition } = {};
    // Opened first: it removes half-received and half-written snapshots before the state is recovered from one.
    const raftSnapshots = await StateRaftSnapshotStore.open({ snapshots, onInstalled: (snapshot) => opened.partition!.installSnapshot(snapshot) });
    const latest = raftSnapshots.latestSnapshot;
    const store = await openStateCoveringSnapshot(join(options.directory, 'state'), latest, () => options.clock.nowMs());
    const partition = new ReplicatedPartition(options, store, newPartitionEngine(options, store), snapshots);
    opened.partition = partition;
    partition.raftSnapshots = raftSnapshots;
    partition.committedIndexValue = latest?.index ?? 0;
    partition.raft = await RaftServer.open({
      groupId: options.partitionId,
      config: { replicaId: options.nodeId, replicaIds: options.replicaIds },
      directory: options.directory,
      transport: options.transport,
      tickIntervalMs: options.raftTickIntervalMs,
      fsync: options.settings.fsync,
      log: { segmentSizeBytesMax: options.settings.segmentSizeBytesMax },
      snapshots: raftSnapshots,
      // Committed entries after the snapshot are handed out again after a restart; those the state holds are skipped.
      appliedIndex: latest?.index ?? 0,
      onCommitted: (entries) => partition.onCommitted(entries),
      onSoftState: (state) => partition.onSoftState(state),
      onError: (error) => partition.fail(error),
    });
    return partition;
  }

  get partitionId(): number {
    return this.options.partitionId;
  }

  /** LEADER once it processes commands; FOLLOWER otherwise (also while a new leader catches up). */
  get role(): ReplicaRole {
    return this.leadership?.processing ? 'LEADER' : 'FOLLOWER';
  }

  get term(): number {
    return this.softState.term;
  }

  /** The node Raft knows as the leader, if any. */
  get leaderId(): number | undefined {
    return this.softState.leaderId;
  }

  get healthy(): boolean {
    return this.failed === undefined && !this.closed;
  }

  get log(): SegmentedLog {
    return this.raft.log;
  }

  /** The last log index whose entry is committed and applied here: exporters read up to it. */
  get committedIndex(): number {
    return this.committedIndexValue;
  }

  get pendingCommandCount(): number {
    return this.loop.pendingCommandCount;
  }

  /** The adaptive limit on commands in flight; a new leadership starts with a fresh one. */
  get backpressure(): CommandLimiter {
    return this.loop.limiter;
  }

  /** Writes a command on the leader; throws NOT_LEADER elsewhere and RESOURCE_EXHAUSTED under back-pressure. */
  submit(command: NewCommand): void {
    if (this.failed) throw partitionFailedError(this.partitionId, this.failed);
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', `Partition ${this.partitionId} is shutting down`);
    if (!this.leadership?.processing) {
      throw new TributaryError('NOT_LEADER', `Expected node ${this.options.nodeId} to lead partition ${this.partitionId}, but it does not (leader: ${this.leaderId ?? 'unknown'})`);
    }
    this.loop.admit(command);
  }

  /** The request of a creation awaiting its result timed out: its back-pressure slot is free (see ResultSlots). */
  onResultRequestTimedOut(requestId: number): void {
    this.loop.onResultRequestTimedOut(requestId);
  }

  // ---- roles ----

  private onSoftState(state: SoftState): void {
    this.softState = state;
    if (state.role === 'leader' && this.leadership === undefined) {
      this.leadership = { term: state.term, processing: false };
      return;
    }
    if (state.role !== 'leader' && this.leadership !== undefined) this.stepDown();
  }

  /** The no-op of this leader's term committed: everything before it is applied, so processing may start. */
  private startProcessing(): void {
    const leadership = this.leadership!;
    leadership.processing = true;
    const loop = this.loop;
    loop.resumeAt(this.appliedPosition + 1);
    const processed = this.engine.state.lastProcessedPosition;
    for (const leftover of this.unprocessed) if (leftover.position > processed) loop.enqueueLeftover(leftover);
    this.unprocessed = [];
    for (const repair of this.engine.repairCommands()) loop.enqueueOwn(repair);
    loop.startDueChecks();
    loop.scheduleDrain();
    this.options.onRoleChange(this);
  }

  private stepDown(): void {
    const wasProcessing = this.leadership?.processing === true;
    this.leadership = undefined;
    this.loop.stopDueChecks();
    const error = new TributaryError('LEADER_CHANGED', `Node ${this.options.nodeId} stopped leading partition ${this.partitionId} before the command committed`);
    this.loop.abandon(error, this.failRequest);
    this.loop.renewAdmission();
    if (wasProcessing) {
      this.options.onRoleChange(this);
      void this.reloadCommittedState();
    }
  }

  private readonly failRequest = (requestId: number, error: TributaryError): void => this.options.onRequestFailed(requestId, error);

  /** Drops processed but uncommitted changes: RocksDB holds committed ones only, the log has the rest. */
  private async reloadCommittedState(): Promise<void> {
    this.reloading = [];
    try {
      await this.store.close();
      this.useState(await StateStore.open({ directory: join(this.options.directory, 'state'), nowMs: () => this.options.clock.nowMs() }));
      this.replayCommittedLog();
      const waiting = this.reloading;
      this.reloading = undefined;
      this.onCommitted(waiting);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private useState(store: StateStore): void {
    this.store = store;
    this.engine = newPartitionEngine(this.options, store);
    this.loop.useEngine(this.engine);
    this.appliedPosition = store.position;
    this.committedPosition = store.position;
    this.unprocessed = [];
  }

  /** A follower behind the leader's compacted log received the leader's snapshot: it replaces the state. */
  private async installSnapshot(snapshot: RaftSnapshot): Promise<void> {
    const stateDirectory = join(this.options.directory, 'state');
    await this.store.close();
    await rm(stateDirectory, { recursive: true, force: true });
    await restoreSnapshot(snapshot.directory, stateDirectory);
    this.useState(await StateStore.open({ directory: stateDirectory, nowMs: () => this.options.clock.nowMs() }));
    this.committedIndexValue = snapshot.index;
  }

  private replayCommittedLog(): void {
    const log = this.raft.log;
    const startIndex = findEntryIndexForPosition(log, this.appliedPosition + 1);
    if (startIndex === undefined) return;
    const reader = log.reader(startIndex);
    for (let entry = reader.next(); entry && entry.index <= this.committedIndexValue; entry = reader.next()) {
      if (entry.payload.byteLength > 0) this.replayEntry(entry.payload);
    }
    void this.store.persist(this.committedPosition).catch((error: Error) => this.fail(error));
  }

  // ---- committed entries ----

  private onCommitted(entries: RaftEntry[]): void {
    if (this.reloading !== undefined) {
      for (const entry of entries) this.reloading.push(entry);
      return;
    }
    const committed: Record[] = [];
    for (const entry of entries) this.applyCommitted(entry, committed);
    if (committed.length > 0) this.options.listener.onCommitted(committed);
    if (entries.length > 0) void this.store.persistWhenDue(this.committedPosition).catch((error: Error) => this.fail(error));
  }

  private applyCommitted(entry: RaftEntry, committed: Record[]): void {
    this.committedIndexValue = entry.index;
    const leadership = this.leadership;
    if (entry.payload.byteLength === 0) {
      if (leadership?.term === entry.term && !leadership.processing) this.startProcessing();
      return;
    }
    if (leadership?.processing && entry.term === leadership.term) this.completeOwnEntry(entry, committed);
    else this.replayEntry(toBuffer(entry.payload));
  }

  /** Applies an entry another leader wrote (or this node in an earlier term). */
  private replayEntry(payload: Buffer): void {
    const records = decodeRecordBatch(payload);
    let applied = false;
    for (const record of records) {
      if (record.recordType === 'COMMAND' && !record.processedInBatch) this.unprocessed.push(record);
      if (record.position <= this.appliedPosition) continue;
      this.engine.replay(record);
      applied = true;
    }
    const lastPosition = records[records.length - 1].position;
    if (applied) this.engine.endReplayedEntry(lastPosition);
    this.appliedPosition = Math.max(this.appliedPosition, lastPosition);
    this.committedPosition = Math.max(this.committedPosition, lastPosition);
    if (this.unprocessed.length > 0) {
      const processed = this.engine.state.lastProcessedPosition;
      this.unprocessed = this.unprocessed.filter((command) => command.position > processed);
    }
  }

  /** This leader's own entry committed: its command's answers, side effects and records go out now. */
  private completeOwnEntry(entry: RaftEntry, committed: Record[]): void {
    const loop = this.loop;
    // Commands that wrote nothing are answered as soon as everything before them is.
    loop.completeUnwritten(committed);
    const item = loop.shiftAwaiting();
    const firstPosition = peekFirstPosition(toBuffer(entry.payload));
    if (item === undefined || !item.written || item.result.records[0].position !== firstPosition) {
      this.fail(new Error(`Partition ${this.partitionId} committed entry ${entry.index} at position ${firstPosition}, which is not the next one it proposed`));
      return;
    }
    this.committedPosition = item.lastPosition;
    loop.complete(item, committed);
    loop.completeUnwritten(committed);
  }

  /** A proposal that cannot commit under this leadership: the changes after it are invalid too, so step down. */
  private readonly onProposalFailed = (): void => {
    if (this.closed || this.leadership === undefined) return;
    this.stepDown();
  };

  // ---- snapshots, failure, shutdown ----

  /**
   * Snapshots the committed state and lets Raft compact its log below the snapshot, never past exportedPosition:
   * a follower behind the compacted log gets the snapshot sent over Raft instead.
   */
  async snapshotAndCompact(exportedPosition: number): Promise<void> {
    if (this.reloading !== undefined || this.closed) return;
    const snapshot = await this.raftSnapshots.take(this.store, (position) => this.raftPositionOf(position), { persistUpTo: this.committedPosition });
    if (snapshot === undefined) return;
    const exportedIndex = findEntryIndexForPosition(this.raft.log, exportedPosition + 1) ?? snapshot.index + 1;
    await this.raft.snapshotTaken(snapshot.index, snapshot.term, Math.min(snapshot.index + 1, exportedIndex));
  }

  /** The committed entry holding a record position, which a snapshot covering that position stands for. */
  private raftPositionOf(position: number): { index: number; term: number } | undefined {
    const log = this.raft.log;
    const index = findEntryIndexForPosition(log, position);
    if (index === undefined || index > this.committedIndexValue || index < log.firstIndex) return undefined;
    const term = log.termAt(index);
    return term === undefined ? undefined : { index, term };
  }

  /**
   * Stops processing for good and leaves the Raft group, so that a healthy replica is elected and leads the
   * partition; this one stops announcing itself as its leader.
   */
  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.loop.stopDueChecks();
    const wasProcessing = this.leadership?.processing === true;
    this.leadership = undefined;
    // Its waiting requests are failed by the listener, as a single broker's are.
    void this.raft.close().catch(() => undefined);
    if (wasProcessing) this.options.onRoleChange(this);
    this.options.listener.onFailure(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loop.stopDueChecks();
    await this.raft.close();
    this.loop.abandon(new TributaryError('SHUTTING_DOWN', `Partition ${this.partitionId} is shutting down`), this.failRequest);
    // Only committed transactions reach RocksDB: persist them, drop the rest.
    if (this.reloading === undefined) await this.store.persist(this.committedPosition).catch(() => undefined);
    await this.store.close();
    await this.raftSnapshots.close();
  }
}

/**
 * Opens the state, first restoring it from the newest snapshot when it is missing or older than that snapshot
 * (RocksDB writes without fsync, so a power loss can take it back before a snapshot the log was compacted to).
 */
async function openStateCoveringSnapshot(directory: string, latest: RaftSnapshot | undefined, nowMs: () => number): Promise<StateStore> {
  if (existsSync(directory)) {
    const store = await StateStore.open({ directory, nowMs });
    if (latest === undefined || store.position >= latest.position) return store;
    await store.close();
    await rm(directory, { recursive: true, force: true });
  }
  if (latest !== undefined) await restoreSnapshot(latest.directory, directory);
  return StateStore.open({ directory, nowMs });
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
