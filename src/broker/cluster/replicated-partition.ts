import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DueJobCommands, DueTimerCommands, Engine, type ProcessingResult } from '../../engine/index.js';
import { TributaryError } from '../../errors.js';
import type { SegmentedLog } from '../../log/index.js';
import { ByteWriter, decodeRecordBatch, encodeRecordBatch, peekFirstPosition, type Record } from '../../protocol/index.js';
import { RaftServer, type RaftEntry, type RaftTransport, type SoftState } from '../../raft/index.js';
import { SnapshotStore, StateStore, restoreSnapshot } from '../../state/index.js';
import { awaitingResultRequestId, CommandLimiter, createLimitAlgorithm, isAlwaysAccepted, ResultSlots, type DurableCommand } from '../backpressure/index.js';
import { commandRecord, encodeLogEntry } from '../command-records.js';
import { findEntryIndexForPosition } from '../log-position-search.js';
import { StateRaftSnapshotStore, type RaftSnapshot } from '../raft-snapshot-store.js';
import type { NewCommand, PartitionOptions } from '../partition.js';

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

interface QueuedCommand {
  command?: NewCommand;
  acceptedAtMs?: number;
  leftover?: Record;
}

/** A processed command waiting for its log entry to commit; proposed is false when it wrote no records. */
interface AwaitingCommit extends DurableCommand {
  proposed: boolean;
  lastPosition: number;
  result: ProcessingResult;
}

/** The leader of a term; it processes commands once the no-op entry of its term commits. */
interface Leadership {
  term: number;
  processing: boolean;
}

const COMMANDS_PER_TURN_MAX = 256;
const PENDING_COMMANDS_MAX_DEFAULT = 20_000;
const TIMER_CHECK_INTERVAL_DEFAULT_MS = 25;

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
  private readonly queue: QueuedCommand[] = [];
  private queueHead = 0;
  private awaiting: AwaitingCommit[] = [];
  private drainScheduled = false;
  /** The last record position in the state (on a leader, processed ones included). */
  private appliedPosition: number;
  /** The last record position committed: only this much of the state may reach RocksDB. */
  private committedPosition: number;
  private committedIndexValue = 0;
  /** Commands in applied entries that were not processed yet (follow-ups past a batch bound); a new leader runs them. */
  private unprocessed: Record[] = [];
  private nextPosition = 1;
  private readonly writer = new ByteWriter(64 * 1024);
  private dueJobs: DueJobCommands;
  private dueTimers: DueTimerCommands;
  private jobCheckTimer: NodeJS.Timeout | undefined;
  private timerCheckTimer: NodeJS.Timeout | undefined;
  /** While the state is reopened after stepping down, committed entries wait here. */
  private reloading: RaftEntry[] | undefined;
  private failed: Error | undefined;
  private closed = false;
  /** The adaptive limit on commands in flight; a new leadership starts with a fresh one. */
  backpressure: CommandLimiter;
  /** Settles the limiter's slots, holding those of creations awaiting their result; renewed with the limiter. */
  private resultSlots: ResultSlots;

  private raftSnapshots!: StateRaftSnapshotStore;

  private constructor(
    private readonly options: ReplicatedPartitionOptions,
    public store: StateStore,
    public engine: Engine,
    readonly snapshots: SnapshotStore,
  ) {
    this.appliedPosition = store.position;
    this.committedPosition = store.position;
    this.dueJobs = new DueJobCommands(engine.state.jobs);
    this.dueTimers = new DueTimerCommands(engine.state.timers, engine.state.messages);
    this.backpressure = this.newLimiter();
    this.resultSlots = new ResultSlots(this.backpressure);
  }

  private newLimiter(): CommandLimiter {
    const options = this.options;
    return new CommandLimiter(createLimitAlgorithm(options.backpressure ?? { algorithm: 'aimd', limitMax: options.pendingCommandsMax ?? PENDING_COMMANDS_MAX_DEFAULT }));
  }

  static async open(options: ReplicatedPartitionOptions): Promise<ReplicatedPartition> {
    const snapshots = new SnapshotStore({ dataDirectory: options.directory });
    // Raft and the snapshot store call back into the partition, which exists only after them: a holder bridges that.
    const opened: { partition?: ReplicatedPartition } = {};
    // Opened first: it removes half-received and half-written snapshots before the state is recovered from one.
    const raftSnapshots = await StateRaftSnapshotStore.open({ snapshots, onInstalled: (snapshot) => opened.partition!.installSnapshot(snapshot) });
    const latest = raftSnapshots.latestSnapshot;
    const store = await openStateCoveringSnapshot(join(options.directory, 'state'), latest, () => options.clock.nowMs());
    const partition = new ReplicatedPartition(options, store, newEngine(options, store), snapshots);
    opened.partition = partition;
    partition.raftSnapshots = raftSnapshots;
    partition.committedIndexValue = latest?.index ?? 0;
    partition.raft = await RaftServer.open({
      groupId: options.partitionId,
      config: { replicaId: options.nodeId, replicaIds: options.replicaIds },
      directory: options.directory,
      transport: options.transport,
      tickIntervalMs: options.raftTickIntervalMs,
      fsync: options.fsync ?? true,
      log: { segmentSizeBytesMax: options.segmentSizeBytesMax },
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
    return this.queue.length - this.queueHead + this.awaiting.length;
  }

  /** Writes a command on the leader; throws NOT_LEADER elsewhere and RESOURCE_EXHAUSTED under back-pressure. */
  submit(command: NewCommand): void {
    if (this.failed) throw new TributaryError('PARTITION_UNAVAILABLE', `Partition ${this.partitionId} has failed: ${this.failed.message}`);
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', `Partition ${this.partitionId} is shutting down`);
    if (!this.leadership?.processing) {
      throw new TributaryError('NOT_LEADER', `Expected node ${this.options.nodeId} to lead partition ${this.partitionId}, but it does not (leader: ${this.leaderId ?? 'unknown'})`);
    }
    const alwaysAccepted = isAlwaysAccepted(command);
    if (!this.backpressure.tryAcquire(alwaysAccepted)) {
      throw new TributaryError('RESOURCE_EXHAUSTED', `Expected to handle the request, but partition ${this.partitionId} is overloaded (${this.backpressure.limit} commands in flight); retry later`);
    }
    // Always-accepted commands take no slot, so none is released (and no latency sampled) when they complete.
    this.queue.push({ command, acceptedAtMs: alwaysAccepted ? undefined : this.options.clock.nowMs() });
    this.scheduleDrain();
  }

  /** The request of a creation awaiting its result timed out: its back-pressure slot is free (see ResultSlots). */
  onResultRequestTimedOut(requestId: number): void {
    this.resultSlots.onTimedOut(requestId, this.options.clock.nowMs());
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
    this.nextPosition = this.appliedPosition + 1;
    const processed = this.engine.state.lastProcessedPosition;
    for (const leftover of this.unprocessed) if (leftover.position > processed) this.queue.push({ leftover });
    this.unprocessed = [];
    for (const repair of this.engine.repairCommands()) this.queue.push({ command: repair });
    this.startChecks();
    this.scheduleDrain();
    this.options.onRoleChange(this);
  }

  private stepDown(): void {
    const wasProcessing = this.leadership?.processing === true;
    this.leadership = undefined;
    this.stopChecks();
    const error = new TributaryError('LEADER_CHANGED', `Node ${this.options.nodeId} stopped leading partition ${this.partitionId} before the command committed`);
    for (let index = this.queueHead; index < this.queue.length; index++) this.failRequest(this.queue[index], error);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const item of this.awaiting) for (const response of item.result.responses) this.options.onRequestFailed(response.requestId, error);
    this.awaiting = [];
    this.backpressure = this.newLimiter();
    this.resultSlots = new ResultSlots(this.backpressure);
    if (wasProcessing) {
      this.options.onRoleChange(this);
      void this.reloadCommittedState();
    }
  }

  private failRequest(item: QueuedCommand, error: TributaryError): void {
    if (item.command?.requestId !== undefined) this.options.onRequestFailed(item.command.requestId, error);
  }

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
    this.engine = newEngine(this.options, store);
    this.dueJobs = new DueJobCommands(this.engine.state.jobs);
    this.dueTimers = new DueTimerCommands(this.engine.state.timers, this.engine.state.messages);
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
    if (entries.length > 0) void this.store.persist(this.committedPosition).catch((error: Error) => this.fail(error));
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
    this.completeUnproposed(committed);
    const item = this.awaiting.shift();
    const firstPosition = peekFirstPosition(toBuffer(entry.payload));
    if (item === undefined || !item.proposed || item.result.records[0].position !== firstPosition) {
      this.fail(new Error(`Partition ${this.partitionId} committed entry ${entry.index} at position ${firstPosition}, which is not the next one it proposed`));
      return;
    }
    this.committedPosition = item.lastPosition;
    this.complete(item, committed);
    this.completeUnproposed(committed);
  }

  /** Commands that wrote nothing are answered as soon as everything before them is. */
  private completeUnproposed(committed: Record[]): void {
    while (this.awaiting.length > 0 && !this.awaiting[0].proposed) this.complete(this.awaiting.shift()!, committed);
  }

  private complete(item: AwaitingCommit, committed: Record[]): void {
    this.resultSlots.onDurable(item, item.result, this.options.clock.nowMs());
    for (const record of item.result.records) committed.push(record);
    for (const response of item.result.responses) this.options.listener.onResponse(response);
    for (const effect of item.result.sideEffects) this.options.listener.onSideEffect(effect);
  }

  // ---- processing (leader) ----

  private scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.failed || this.closed || !this.leadership?.processing) return;
    let processed = 0;
    while (this.queueHead < this.queue.length && processed < COMMANDS_PER_TURN_MAX && this.leadership?.processing) {
      const item = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined as unknown as QueuedCommand;
      this.processItem(item);
      processed++;
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (this.queueHead < this.queue.length) this.scheduleDrain();
    const committed: Record[] = [];
    this.completeUnproposed(committed);
  }

  private processItem(item: QueuedCommand): void {
    const encode = (records: Record[]): Buffer => encodeLogEntry(records, this.writer);
    const result = item.command
      ? this.engine.processCommand(commandRecord(this.partitionId, this.nextPosition, this.options.clock.nowMs(), item.command), { isNew: true, nextPosition: this.nextPosition + 1, encode })
      : this.engine.processCommand(item.leftover!, { isNew: false, nextPosition: this.nextPosition, encode });
    const proposed = result.records.length > 0;
    if (proposed) {
      const payload = result.payload ?? encodeRecordBatch(result.records, this.writer);
      this.nextPosition = result.records[result.records.length - 1].position + 1;
      this.appliedPosition = this.nextPosition - 1;
      this.raft.propose(payload).catch((error: Error) => this.onProposalFailed(error));
    }
    this.awaiting.push({ proposed, lastPosition: this.nextPosition - 1, result, acceptedAtMs: item.acceptedAtMs, awaitingResultRequestId: awaitingResultRequestId(item.command) });
    if (result.leftoverCommands.length > 0) {
      this.queue.splice(this.queueHead, 0, ...result.leftoverCommands.map((leftover) => ({ leftover })));
    }
  }

  /** A proposal that cannot commit under this leadership: the changes after it are invalid too, so step down. */
  private onProposalFailed(_error: Error): void {
    if (this.closed || this.leadership === undefined) return;
    this.stepDown();
  }


  private startChecks(): void {
    this.jobCheckTimer = setInterval(() => this.checkDue(this.dueJobs.collect(this.options.clock.nowMs()).map((due) => ({ valueType: 'JOB' as const, intent: due.intent, key: due.key }))), this.options.jobCheckIntervalMs ?? 1000);
    this.jobCheckTimer.unref();
    this.timerCheckTimer = setInterval(() => this.checkDue(this.dueTimers.collect(this.options.clock.nowMs())), this.options.timerCheckIntervalMs ?? TIMER_CHECK_INTERVAL_DEFAULT_MS);
    this.timerCheckTimer.unref();
  }

  private checkDue(due: readonly Pick<NewCommand, 'valueType' | 'intent' | 'key'>[]): void {
    if (this.failed || this.closed || !this.leadership?.processing || due.length === 0) return;
    for (const command of due) this.queue.push({ command: { valueType: command.valueType, intent: command.intent, key: command.key, value: {} } });
    this.scheduleDrain();
  }

  private stopChecks(): void {
    if (this.jobCheckTimer) clearInterval(this.jobCheckTimer);
    if (this.timerCheckTimer) clearInterval(this.timerCheckTimer);
    this.jobCheckTimer = undefined;
    this.timerCheckTimer = undefined;
  }

  // ---- snapshots, failure, shutdown ----

  /**
   * Snapshots the committed state and lets Raft compact its log below the snapshot, never past exportedPosition:
   * a follower behind the compacted log gets the snapshot sent over Raft instead.
   */
  async snapshotAndCompact(exportedPosition: number): Promise<void> {
    if (this.reloading !== undefined || this.closed) return;
    const snapshot = await this.raftSnapshots.take(this.store, (position) => this.raftPositionOf(position), { persistUpTo: this.store.persistedPosition });
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

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.stopChecks();
    this.options.listener.onFailure(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopChecks();
    await this.raft.close();
    const error = new TributaryError('SHUTTING_DOWN', `Partition ${this.partitionId} is shutting down`);
    for (let index = this.queueHead; index < this.queue.length; index++) this.failRequest(this.queue[index], error);
    for (const item of this.awaiting) for (const response of item.result.responses) this.options.onRequestFailed(response.requestId, error);
    this.awaiting = [];
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

function newEngine(options: ReplicatedPartitionOptions, store: StateStore): Engine {
  return new Engine({
    partitionId: options.partitionId,
    partitionCount: options.partitionCount,
    store,
    jobStreams: options.jobStreams,
    allowUnknownCalledProcess: options.allowUnknownCalledProcess,
    idempotencyWindowMs: options.idempotencyWindowMs,
  });
}


function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
