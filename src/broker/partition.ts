import type { Engine, JobStreamRegistry, PendingResponse, SideEffect } from '../engine/index.js';
import { TributaryError } from '../errors.js';
import type { SegmentedLog } from '../log/index.js';
import type { Record } from '../protocol/index.js';
import type { SnapshotStore, StateStore } from '../state/index.js';
import type { Clock } from './clock.js';
import { findEntryIndexForPosition } from './log-position-search.js';
import { recoverPartition } from './partition-recovery.js';
import type { CommandFields } from './command-records.js';
import type { CommandLimiter } from './backpressure/index.js';
import { CommandLoop } from './command-loop.js';
import type { PartitionSettings } from './partition-settings.js';

/** A command as a client (or a scheduler) writes it, before the partition gives it a position and a timestamp. */
export type NewCommand = CommandFields;

/** Where a partition delivers what happens after its records are durable. */
export interface PartitionListener {
  onResponse(response: PendingResponse): void;
  onSideEffect(effect: SideEffect): void;
  onCommitted(records: readonly Record[]): void;
  /** The partition stopped processing because its storage failed; it needs a restart. */
  onFailure(error: Error): void;
}

export interface PartitionOptions {
  partitionId: number;
  directory: string;
  clock: Clock;
  jobStreams: JobStreamRegistry;
  listener: PartitionListener;
  /** The broker's settings for its partitions, whole (see partitionSettingsOf). */
  settings: PartitionSettings;
  /** Partitions in the cluster (message correlation routes by it); default 1. */
  partitionCount?: number;
  /** How often due jobs (timeouts, back-offs) are looked for. */
  jobCheckIntervalMs?: number;
  /** How often due timers and expired messages are looked for; BPMN timers fire within this much of their due date. */
  timerCheckIntervalMs?: number;
}

/**
 * What every request for a partition that failed is answered: at once, not retried by the gateway, since the
 * partition does not come back without a restart (or, in a cluster, another replica taking the lead).
 */
export function partitionFailedError(partitionId: number, failure: Error): TributaryError {
  return new TributaryError('PARTITION_FAILED', `Partition ${partitionId} failed and stopped processing: ${failure.message}`);
}

/** Raft comes with the cluster; until then a partition is its own leader in term 1. */
const TERM = 1;

/**
 * One partition on one broker: commands are processed as they arrive (state changes stay in memory), the
 * command and its results are appended to the log as one entry, and only once that entry is fsynced are
 * responses sent, side effects run, records exported and the state persisted to RocksDB (in batches, see
 * StateStore.persistWhenDue).
 */
export class Partition {
  private failed: Error | undefined;
  private closed = false;
  private readonly loop: CommandLoop;
  /** The last record position the log holds durably: what a snapshot may cover (the state persists it lazily). */
  private durablePosition: number;

  private constructor(
    private readonly options: PartitionOptions,
    readonly log: SegmentedLog,
    readonly store: StateStore,
    readonly snapshots: SnapshotStore,
    readonly engine: Engine,
    nextPosition: number,
  ) {
    this.durablePosition = store.position;
    this.loop = new CommandLoop(options, engine, nextPosition, {
      canProcess: () => this.failed === undefined && !this.closed,
      // Appended now, fsynced for the whole turn at its end (group commit).
      write: (payload) => this.log.append(TERM, payload),
      lastEntryIndex: () => this.log.lastIndex,
      endTurn: (processed) => {
        if (processed > 0) this.flush();
      },
    });
  }

  static async open(options: PartitionOptions): Promise<Partition> {
    const recovered = await recoverPartition({
      partitionId: options.partitionId,
      directory: options.directory,
      settings: options.settings,
      jobStreams: options.jobStreams,
      partitionCount: options.partitionCount,
      nowMs: () => options.clock.nowMs(),
    });
    const partition = new Partition(options, recovered.log, recovered.store, recovered.snapshots, recovered.engine, recovered.nextPosition);
    const loop = partition.loop;
    for (const leftover of recovered.unprocessedCommands) loop.enqueueLeftover(leftover);
    for (const repair of recovered.engine.repairCommands()) loop.enqueueOwn(repair);
    loop.scheduleDrain();
    loop.startDueChecks();
    return partition;
  }

  get partitionId(): number {
    return this.options.partitionId;
  }

  get healthy(): boolean {
    return this.failed === undefined && !this.closed;
  }

  /** A single broker's log is committed once it is durable. */
  get committedIndex(): number {
    return this.log.durableIndex;
  }

  get pendingCommandCount(): number {
    return this.loop.pendingCommandCount;
  }

  /** The adaptive limit on commands in flight (back-pressure). */
  get backpressure(): CommandLimiter {
    return this.loop.limiter;
  }

  /** Writes a command. Throws RESOURCE_EXHAUSTED under back-pressure (never for completing or failing a job). */
  submit(command: NewCommand): void {
    if (this.failed) throw partitionFailedError(this.partitionId, this.failed);
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', `Partition ${this.partitionId} is shutting down`);
    this.loop.admit(command);
  }

  /** The request of a creation awaiting its result timed out: its back-pressure slot is free (see ResultSlots). */
  onResultRequestTimedOut(requestId: number): void {
    this.loop.onResultRequestTimedOut(requestId);
  }

  private flush(): void {
    this.log.flush().then(
      (durableIndex) => this.onDurable(durableIndex),
      (error: Error) => this.fail(error),
    );
  }

  /** Answers what the fsync made durable, exports its records, then lets RocksDB have the state up to there when due. */
  private onDurable(durableIndex: number): void {
    const committed: Record[] = [];
    const persistUpTo = this.loop.completeThrough(durableIndex, committed);
    if (persistUpTo === undefined) return;
    this.durablePosition = persistUpTo;
    if (committed.length > 0) this.options.listener.onCommitted(committed);
    this.store.persistWhenDue(persistUpTo).catch((error: Error) => this.fail(error));
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    // A failed partition processes nothing more: its timers and job deadlines stop, as a replicated partition's do.
    this.loop.stopDueChecks();
    this.options.listener.onFailure(error);
  }

  /** Takes a snapshot of what is durable and deletes the log below it (and below every exporter's position). */
  async snapshotAndCompact(exportedPosition: number): Promise<void> {
    this.onDurable(await this.log.flush());
    // The state may hold commands processed after that fsync: the snapshot covers only what the log holds durably.
    const snapshot = await this.snapshots.take(this.store, { persistUpTo: this.durablePosition });
    const compactBelow = Math.min(snapshot.position, exportedPosition);
    const index = findEntryIndexForPosition(this.log, compactBelow);
    if (index !== undefined && index > this.log.firstIndex) await this.log.deleteBefore(index);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.loop.stopDueChecks();
    // Let what was processed become durable, so the answers already computed are not lost.
    this.loop.drainAll();
    if (!this.failed) {
      const durableIndex = await this.log.flush();
      this.onDurable(durableIndex);
    }
    this.closed = true;
    // After a storage failure only what is durable may reach RocksDB; otherwise everything is durable by now.
    if (!this.failed) await this.store.persist(this.store.position).catch(() => undefined);
    await this.store.close();
    await this.log.close();
  }
}
