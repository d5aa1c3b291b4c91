import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SegmentedLog, type LogOptions } from '../log/index.js';
import { HardStateFile } from './hard-state-file.js';
import type { RaftEntry, SnapshotMetadata, SnapshotSource } from './log-storage.js';
import type { RaftMessage } from './messages.js';
import type { RaftConfigInput, ReplicaId } from './raft-config.js';
import { RaftNode, type RaftStatus } from './raft-node.js';
import type { Ready, SoftState } from './ready.js';
import { SegmentedLogStorage } from './segmented-log-storage.js';
import type { ReceivedSnapshotChunk } from './snapshot-receiver.js';
import type { RaftTransport } from './transport/raft-transport.js';
import { SYSTEM_TIMERS, type Timers } from './transport/timers.js';

/** Where the application keeps snapshots: the leader reads them in chunks, a follower receives and installs them. */
export interface RaftSnapshotStore {
  /** The latest durable snapshot when the server opens. */
  readonly latest: SnapshotMetadata | undefined;
  readonly source: SnapshotSource;
  /** Writes a received chunk; offset 0 starts a new snapshot. */
  writeChunk(chunk: ReceivedSnapshotChunk): void;
  /** Makes the received snapshot durable and replaces the application's state with it. */
  install(snapshot: SnapshotMetadata): Promise<void>;
}

export interface RaftServerOptions {
  /** The Raft group (partition) this replica belongs to; messages on the transport carry it. */
  groupId: number;
  /** replicaId is this node's id; replicaIds every node of the group. */
  config: RaftConfigInput;
  /** Holds the log (log/) and the hard state (raft-hard-state). */
  directory: string;
  transport: RaftTransport;
  /** Committed entries, in log order, each once per run (a restart hands out those after appliedIndex again). */
  onCommitted: (entries: RaftEntry[]) => void;
  onSoftState?: (state: SoftState) => void;
  /** The server stopped after a failed disk write or a broken invariant; close it and reopen from the files. */
  onError?: (error: Error) => void;
  tickIntervalMs?: number;
  timers?: Timers;
  random?: () => number;
  /** How far the application has applied the log (its state survives restarts); default the snapshot's index. */
  appliedIndex?: number;
  log?: Omit<LogOptions, 'directory' | 'fsync'>;
  /** Default true; false only for tests and benchmarks that do not measure durability. */
  fsync?: boolean;
  snapshots?: RaftSnapshotStore;
}

/**
 * Why a proposal was not reported committed. outcome-unknown: a snapshot received while it was pending replaced its
 * entry unseen, so it may have committed or not (the simulation sees both); a client must not take it for either.
 */
export type RaftProposalFailure = 'not-leader' | 'uncommitted-size-exceeded' | 'leadership-lost' | 'outcome-unknown' | 'closed';

/**
 * A proposal that was not reported committed. retriable says whether trying again (at leaderId, when known) can
 * help without doing the work twice: false only when the outcome is unknown.
 */
export class RaftProposalError extends Error {
  override readonly name = 'RaftProposalError';
  readonly retriable: boolean;

  constructor(
    readonly reason: RaftProposalFailure,
    message: string,
    /** The leader this replica knows of, for not-leader. */
    readonly leaderId: ReplicaId | undefined = undefined,
  ) {
    super(message);
    this.retriable = reason !== 'outcome-unknown';
  }
}

export interface CommittedPosition {
  index: number;
  term: number;
}

interface PendingProposal {
  payload: Uint8Array;
  resolve: (position: CommittedPosition) => void;
  reject: (error: Error) => void;
}

const HARD_STATE_FILE_NAME = 'raft-hard-state';
/** Messages waiting for the Ready loop at most; beyond, new ones are dropped (Raft retries). */
const INCOMING_MESSAGES_MAX = 10_000;
/** Ticks waiting at most: while the loop waits on a disk, time slows down rather than firing elections at once. */
const TICKS_PENDING_MAX = 2;
/** Proposals waiting for the loop at most; beyond, propose refuses at once (back-pressure). */
const PROPOSALS_QUEUED_MAX = 100_000;
/** SegmentedLog's default entrySizeBytesMax: a larger payload would fail the append and stop the server. */
const DEFAULT_ENTRY_SIZE_BYTES_MAX = 16 * 1024 * 1024;

const NO_SNAPSHOTS: RaftSnapshotStore = {
  latest: undefined,
  source: { read: () => undefined },
  writeChunk: () => undefined,
  install: (snapshot) => Promise.reject(new Error(`Received a snapshot at ${snapshot.index}, but this server has no snapshot store`)),
};

/**
 * Drives one RaftNode with real IO: a SegmentedLog, a HardStateFile, a transport and a tick timer. One loop feeds the
 * node its inputs (ticks, messages, proposals, durability) and does each Ready's IO in the documented order before
 * taking the next, so a vote is durable before the answer leaves, and entries are applied in log order.
 */
export class RaftServer {
  private readonly timers: Timers;
  private ticksPending = 0;
  private persistedPending = false;
  private incoming: RaftMessage[] = [];
  private queuedProposals: PendingProposal[] = [];
  private snapshotsTaken: { index: number; term: number; compactBeforeIndex: number; resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly proposalsByIndex = new Map<number, PendingProposal & { term: number }>();
  private running: Promise<void> | undefined;
  private tickTimer: unknown;
  private unsubscribe: () => void = () => undefined;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  /** Set once the loop has finished for good, before the files close. */
  private stopped = false;

  private constructor(
    private readonly options: RaftServerOptions,
    private readonly node: RaftNode,
    private readonly storage: SegmentedLogStorage,
    private readonly hardStateFile: HardStateFile,
    private readonly snapshots: RaftSnapshotStore,
  ) {
    this.timers = options.timers ?? SYSTEM_TIMERS;
  }

  /** Opens (or creates) the replica's files in options.directory and starts ticking and receiving. */
  static async open(options: RaftServerOptions): Promise<RaftServer> {
    const fsync = options.fsync ?? true;
    await mkdir(options.directory, { recursive: true });
    const log = await SegmentedLog.open({ ...options.log, directory: path.join(options.directory, 'log'), fsync });
    const hardStateFile = await HardStateFile.open(path.join(options.directory, HARD_STATE_FILE_NAME), { fsync }).catch(async (error: unknown) => {
      await log.close();
      throw error;
    });
    const storage = new SegmentedLogStorage(log);
    const snapshots = options.snapshots ?? NO_SNAPSHOTS;
    await replaceLogNotContinuing(storage, snapshots.latest).catch(async (error: unknown) => {
      await Promise.allSettled([log.close(), hardStateFile.close()]);
      throw error;
    });
    const node = new RaftNode({
      config: options.config,
      storage,
      snapshotSource: snapshots.source,
      random: options.random ?? Math.random,
      hardState: hardStateFile.state,
      snapshot: snapshots.latest,
      appliedIndex: options.appliedIndex,
    });
    const server = new RaftServer(options, node, storage, hardStateFile, snapshots);
    server.start();
    return server;
  }

  get status(): RaftStatus {
    return this.node.status;
  }

  /** The replica's log, for reading committed entries back (exporters, state rebuilt after stepping down). */
  get log(): SegmentedLog {
    return this.storage.log;
  }

  get replicaId(): ReplicaId {
    return this.node.config.replicaId;
  }

  /** Resolves with the entry's position once it is committed; rejects with RaftProposalError otherwise. */
  propose(payload: Uint8Array): Promise<CommittedPosition> {
    if (this.closing !== undefined || this.failure !== undefined) {
      return Promise.reject(new RaftProposalError('closed', `Raft replica ${this.replicaId} of group ${this.options.groupId} is closed`));
    }
    if (payload.byteLength === 0) return Promise.reject(new RangeError('Expected a non-empty payload: an empty one is the no-op entry of a new leader'));
    const payloadSizeBytesMax = this.options.log?.entrySizeBytesMax ?? DEFAULT_ENTRY_SIZE_BYTES_MAX;
    if (payload.byteLength > payloadSizeBytesMax) {
      return Promise.reject(new RangeError(`A payload of ${payload.byteLength} bytes exceeds the log's entrySizeBytesMax (${payloadSizeBytesMax} bytes)`));
    }
    if (this.queuedProposals.length >= PROPOSALS_QUEUED_MAX) {
      return Promise.reject(new RaftProposalError('uncommitted-size-exceeded', `More than ${PROPOSALS_QUEUED_MAX} proposals wait for replica ${this.replicaId}`));
    }
    return new Promise((resolve, reject) => {
      this.queuedProposals.push({ payload, resolve, reject });
      this.schedule();
    });
  }

  /**
   * The application durably took a snapshot of its state at index (term), which it has applied. Entries up to
   * compactBeforeIndex - 1 (at most index) may then be deleted from the log; followers behind get the snapshot.
   */
  snapshotTaken(index: number, term: number, compactBeforeIndex = index + 1): Promise<void> {
    if (compactBeforeIndex > index + 1) return Promise.reject(new RangeError(`Cannot compact before ${compactBeforeIndex}: the snapshot covers entries up to ${index}`));
    return new Promise((resolve, reject) => {
      this.snapshotsTaken.push({ index, term, compactBeforeIndex, resolve, reject });
      this.schedule();
    });
  }

  /** Stops ticking and receiving, lets the Ready in progress finish, then flushes and closes the files. */
  close(): Promise<void> {
    this.closing ??= this.closeFiles();
    return this.closing;
  }

  private start(): void {
    this.unsubscribe = this.options.transport.subscribe(this.options.groupId, (message) => {
      if (this.incoming.length >= INCOMING_MESSAGES_MAX) return;
      this.incoming.push(message);
      this.schedule();
    });
    this.tickTimer = this.timers.setInterval(() => {
      this.ticksPending = Math.min(TICKS_PENDING_MAX, this.ticksPending + 1);
      this.schedule();
    }, this.options.tickIntervalMs ?? 100);
    this.schedule();
  }

  private async closeFiles(): Promise<void> {
    this.stopInputs();
    // A flush that completes meanwhile may start the loop again: wait until it rests, then stop it for good.
    while (this.running !== undefined) await this.running;
    this.stopped = true;
    this.rejectAll(new RaftProposalError('closed', `Raft replica ${this.replicaId} of group ${this.options.groupId} closed before the entry committed`));
    const results = await Promise.allSettled([this.storage.log.close(), this.hardStateFile.close()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  private stopInputs(): void {
    this.timers.clearInterval(this.tickTimer);
    this.unsubscribe();
  }

  // ---- the Ready loop ----

  private schedule(): void {
    if (this.running !== undefined || this.failure !== undefined || this.stopped) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
    });
  }

  private async run(): Promise<void> {
    try {
      // Let inputs that arrive in the same turn join one Ready.
      await Promise.resolve();
      while (this.failure === undefined) {
        this.feedInputs();
        if (!this.node.hasReady()) return;
        await this.handleReady(this.node.ready());
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private feedInputs(): void {
    if (this.closing !== undefined) {
      // Closing: only durability still counts, so that the last Ready's acknowledgements need no further input.
      this.incoming = [];
      this.ticksPending = 0;
    }
    if (this.persistedPending) {
      this.persistedPending = false;
      this.node.persisted(this.storage.durableIndex);
    }
    for (; this.ticksPending > 0; this.ticksPending--) this.node.tick();
    const incoming = this.incoming;
    this.incoming = [];
    for (const message of incoming) this.node.step(message);
    if (this.queuedProposals.length > 0) this.proposeQueued();
    const snapshotsTaken = this.snapshotsTaken;
    this.snapshotsTaken = [];
    for (const taken of snapshotsTaken) {
      // The node first, so that it stops counting on the entries compaction removes.
      this.node.snapshotTaken(taken.index, taken.term);
      this.storage.compactBefore(taken.compactBeforeIndex).then(taken.resolve, taken.reject);
    }
  }

  private proposeQueued(): void {
    const proposals = this.queuedProposals;
    this.queuedProposals = [];
    const result = this.node.propose(proposals.map((proposal) => proposal.payload));
    if (result.accepted) {
      proposals.forEach((proposal, position) => this.proposalsByIndex.set(result.firstIndex + position, { ...proposal, term: result.term }));
      return;
    }
    const error =
      result.reason === 'not-leader'
        ? new RaftProposalError('not-leader', `Raft replica ${this.replicaId} of group ${this.options.groupId} is not the leader`, result.leaderId)
        : new RaftProposalError('uncommitted-size-exceeded', `Raft group ${this.options.groupId} holds ${result.uncommittedSizeBytes} uncommitted bytes already`);
    for (const proposal of proposals) proposal.reject(error);
  }

  /** One Ready's IO in the order ready.ts documents. */
  private async handleReady(ready: Ready): Promise<void> {
    // 1. Storage writes, in memory now; the flush runs alongside and reports durability through persisted().
    this.storage.applyReadyStorage(ready);
    if (ready.truncateAfterIndex !== undefined || ready.entriesToAppend.length > 0) this.flushLog();
    for (const chunk of ready.snapshotChunks) this.snapshots.writeChunk(chunk);
    // 2. Hard state: a new term or vote is durable before any message of this Ready leaves.
    if (ready.hardState !== undefined) {
      const saved = this.hardStateFile.save(ready.hardState, ready.hardStateMustSync);
      if (ready.hardStateMustSync) await saved;
      else saved.catch((error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))));
    }
    // 3. Messages.
    for (const message of ready.messages) this.options.transport.send(this.options.groupId, message);
    // 4. Committed entries.
    if (ready.committedEntries.length > 0) this.apply(ready.committedEntries);
    if (ready.softState !== undefined) this.options.onSoftState?.(ready.softState);
    // 5. A received snapshot replaces the state and the log.
    if (ready.snapshotToInstall !== undefined) await this.installSnapshot(ready.snapshotToInstall);
  }

  private flushLog(): void {
    this.storage.flush().then(
      () => {
        this.persistedPending = true;
        this.schedule();
      },
      (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private apply(entries: RaftEntry[]): void {
    for (const entry of entries) {
      const proposal = this.proposalsByIndex.get(entry.index);
      if (proposal === undefined) continue;
      this.proposalsByIndex.delete(entry.index);
      if (proposal.term === entry.term) proposal.resolve({ index: entry.index, term: entry.term });
      else proposal.reject(leadershipLost(entry.index, proposal.term));
    }
    this.options.onCommitted(entries);
  }

  private async installSnapshot(snapshot: SnapshotMetadata): Promise<void> {
    await this.snapshots.install(snapshot);
    await this.storage.replaceWithEmptyLogAfter(snapshot.index);
    for (const [index, proposal] of this.proposalsByIndex) {
      if (index > snapshot.index) continue;
      this.proposalsByIndex.delete(index);
      proposal.reject(outcomeUnknown(index, proposal.term, snapshot.index));
    }
    this.node.snapshotInstalled(snapshot.index, snapshot.term);
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.stopInputs();
    this.rejectAll(new RaftProposalError('closed', `Raft replica ${this.replicaId} of group ${this.options.groupId} stopped: ${error.message}`));
    this.options.onError?.(error);
  }

  private rejectAll(error: RaftProposalError): void {
    for (const proposal of this.queuedProposals) proposal.reject(error);
    this.queuedProposals = [];
    for (const taken of this.snapshotsTaken) taken.reject(error);
    this.snapshotsTaken = [];
    for (const proposal of this.proposalsByIndex.values()) proposal.reject(error);
    this.proposalsByIndex.clear();
  }
}

/**
 * A crash after a received snapshot became durable but before the log was replaced leaves the old log behind: one
 * that ends before the snapshot, or holds another term's entry at its index. Such a log does not continue the
 * snapshot, so it is replaced now, as installSnapshot would have done. A log that starts after the snapshot is left
 * for RaftLog to refuse: entries between them are missing, and no repair here could bring them back.
 */
async function replaceLogNotContinuing(storage: SegmentedLogStorage, snapshot: SnapshotMetadata | undefined): Promise<void> {
  if (snapshot === undefined || storage.firstIndex > snapshot.index + 1) return;
  const termAtSnapshot = storage.termAt(snapshot.index);
  const continues = storage.lastIndex >= snapshot.index && (termAtSnapshot === undefined || termAtSnapshot === snapshot.term);
  if (!continues) await storage.replaceWithEmptyLogAfter(snapshot.index);
}

function outcomeUnknown(index: number, term: number, snapshotIndex: number): RaftProposalError {
  return new RaftProposalError(
    'outcome-unknown',
    `The entry proposed at ${index} in term ${term} may or may not have committed: a snapshot up to ${snapshotIndex} from a later leader replaced it before this replica learned which`,
  );
}

function leadershipLost(index: number, term: number): RaftProposalError {
  return new RaftProposalError('leadership-lost', `The entry proposed at ${index} in term ${term} was replaced by a later leader's: it did not commit`);
}
