import type { Engine, PendingResponse, ProcessingResult, SideEffect } from '../engine/index.js';
import { DueJobCommands, DueTimerCommands, type JobStreamRegistry } from '../engine/index.js';
import { TributaryError } from '../errors.js';
import type { SegmentedLog } from '../log/index.js';
import { ByteWriter, encodeRecordBatch, type Record } from '../protocol/index.js';
import type { SnapshotStore, StateStore } from '../state/index.js';
import type { Clock } from './clock.js';
import { findEntryIndexForPosition } from './log-position-search.js';
import { recoverPartition } from './partition-recovery.js';
import { commandRecord, encodeLogEntry, type CommandFields } from './command-records.js';
import { awaitingResultRequestId, CommandLimiter, createLimitAlgorithm, isAlwaysAccepted, ResultSlots, type BackpressureConfig, type DurableCommand } from './backpressure/index.js';

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
  fsync?: boolean;
  segmentSizeBytesMax?: number;
  /** Back-pressure: the most commands in flight (accepted, not yet answered) the adaptive limit may grow to. */
  pendingCommandsMax?: number;
  /** How the limit on commands in flight adapts; AIMD up to pendingCommandsMax when left out. */
  backpressure?: BackpressureConfig;
  /** How often due jobs (timeouts, back-offs) are looked for. */
  jobCheckIntervalMs?: number;
  /** Partitions in the cluster (message correlation routes by it); default 1. */
  partitionCount?: number;
  /** How often due timers and expired messages are looked for; BPMN timers fire within this much of their due date. */
  timerCheckIntervalMs?: number;
  /** How long the engine remembers an idempotency key of a process instance creation; one hour by default. */
  idempotencyWindowMs?: number;
  /** Accept deploying call activities of processes deployed nowhere, as Zeebe does (see BrokerConfig). */
  allowUnknownCalledProcess?: boolean;
}

/** Raft comes with the cluster; until then a partition is its own leader in term 1. */
const TERM = 1;
/** Bound on the commands processed in one turn of the event loop, so gRPC and disk callbacks get their turn. */
const COMMANDS_PER_TURN_MAX = 256;
const PENDING_COMMANDS_MAX_DEFAULT = 20_000;
/** Timers fire within tens of milliseconds of their due date. */
const TIMER_CHECK_INTERVAL_DEFAULT_MS = 25;

interface QueuedCommand {
  command?: NewCommand;
  acceptedAtMs?: number;
  leftover?: Record;
}

interface AwaitingDurability extends DurableCommand {
  index: number;
  lastPosition: number;
  result: ProcessingResult;
}

/**
 * One partition on one broker: commands are processed as they arrive (state changes stay in memory), the
 * command and its results are appended to the log as one entry, and only once that entry is fsynced are
 * responses sent, side effects run, records exported and the state persisted to RocksDB.
 */
export class Partition {
  private readonly queue: QueuedCommand[] = [];
  private queueHead = 0;
  private readonly awaiting: AwaitingDurability[] = [];
  private drainScheduled = false;
  private failed: Error | undefined;
  private jobCheckTimer: NodeJS.Timeout | undefined;
  private readonly writer = new ByteWriter(64 * 1024);
  private readonly dueJobs: DueJobCommands;
  private timerCheckTimer: NodeJS.Timeout | undefined;
  private readonly dueTimers: DueTimerCommands;
  private closed = false;
  readonly backpressure: CommandLimiter;
  private readonly resultSlots: ResultSlots;

  private constructor(
    private readonly options: PartitionOptions,
    readonly log: SegmentedLog,
    readonly store: StateStore,
    readonly snapshots: SnapshotStore,
    readonly engine: Engine,
    private nextPosition: number,
  ) {
    this.dueJobs = new DueJobCommands(engine.state.jobs);
    this.dueTimers = new DueTimerCommands(engine.state.timers, engine.state.messages);
    this.backpressure = new CommandLimiter(createLimitAlgorithm(options.backpressure ?? { algorithm: 'aimd', limitMax: options.pendingCommandsMax ?? PENDING_COMMANDS_MAX_DEFAULT }));
    this.resultSlots = new ResultSlots(this.backpressure);
  }

  static async open(options: PartitionOptions): Promise<Partition> {
    const recovered = await recoverPartition({
      partitionId: options.partitionId,
      directory: options.directory,
      fsync: options.fsync ?? true,
      segmentSizeBytesMax: options.segmentSizeBytesMax,
      jobStreams: options.jobStreams,
      partitionCount: options.partitionCount,
      nowMs: () => options.clock.nowMs(),
      idempotencyWindowMs: options.idempotencyWindowMs,
      allowUnknownCalledProcess: options.allowUnknownCalledProcess,
    });
    const partition = new Partition(options, recovered.log, recovered.store, recovered.snapshots, recovered.engine, recovered.nextPosition);
    for (const leftover of recovered.unprocessedCommands) partition.queue.push({ leftover });
    for (const repair of recovered.engine.repairCommands()) partition.queue.push({ command: repair });
    partition.scheduleDrain();
    partition.startJobChecks();
    partition.startTimerChecks();
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
    return this.queue.length - this.queueHead + this.awaiting.length;
  }

  /** Writes a command. Throws RESOURCE_EXHAUSTED under back-pressure (never for completing or failing a job). */
  submit(command: NewCommand): void {
    if (this.failed) throw new TributaryError('PARTITION_UNAVAILABLE', `Partition ${this.partitionId} has failed: ${this.failed.message}`);
    if (this.closed) throw new TributaryError('SHUTTING_DOWN', `Partition ${this.partitionId} is shutting down`);
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

  private scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.failed || this.closed) return;
    let processed = 0;
    while (this.queueHead < this.queue.length && processed < COMMANDS_PER_TURN_MAX) {
      const item = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined as unknown as QueuedCommand;
      this.processItem(item);
      processed++;
    }
    this.compactQueue();
    if (this.queueHead < this.queue.length) this.scheduleDrain();
    if (processed > 0) this.flush();
  }

  private processItem(item: QueuedCommand): void {
    const encode = (records: Record[]): Buffer => encodeLogEntry(records, this.writer);
    const result = item.command
      ? this.engine.processCommand(commandRecord(this.partitionId, this.nextPosition, this.options.clock.nowMs(), item.command), { isNew: true, nextPosition: this.nextPosition + 1, encode })
      : this.engine.processCommand(item.leftover!, { isNew: false, nextPosition: this.nextPosition, encode });
    let index = this.log.lastIndex;
    let lastPosition = this.nextPosition - 1;
    if (result.records.length > 0) {
      index = this.log.append(TERM, result.payload ?? encodeRecordBatch(result.records, this.writer));
      lastPosition = result.records[result.records.length - 1].position;
      this.nextPosition = lastPosition + 1;
    }
    this.awaiting.push({ index, lastPosition, result, acceptedAtMs: item.acceptedAtMs, awaitingResultRequestId: awaitingResultRequestId(item.command) });
    // Follow-ups past the batch bound go first, before any newer command, so positions stay in processing order.
    if (result.leftoverCommands.length > 0) {
      const leftovers = result.leftoverCommands.map((leftover) => ({ leftover }));
      this.queue.splice(this.queueHead, 0, ...leftovers);
    }
  }


  private compactQueue(): void {
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private flush(): void {
    this.log.flush().then(
      (durableIndex) => this.onDurable(durableIndex),
      (error: Error) => this.fail(error),
    );
  }

  private onDurable(durableIndex: number): void {
    const committed: Record[] = [];
    let persistUpTo = -1;
    let count = 0;
    while (count < this.awaiting.length && this.awaiting[count].index <= durableIndex) {
      const item = this.awaiting[count++];
      const { result, lastPosition } = item;
      this.resultSlots.onDurable(item, result, this.options.clock.nowMs());
      for (const record of result.records) committed.push(record);
      for (const response of result.responses) this.options.listener.onResponse(response);
      for (const effect of result.sideEffects) this.options.listener.onSideEffect(effect);
      persistUpTo = lastPosition;
    }
    if (count === 0) return;
    this.awaiting.splice(0, count);
    if (committed.length > 0) this.options.listener.onCommitted(committed);
    this.store.persist(persistUpTo).catch((error: Error) => this.fail(error));
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.options.listener.onFailure(error);
  }

  private startJobChecks(): void {
    const intervalMs = this.options.jobCheckIntervalMs ?? 1000;
    this.jobCheckTimer = setInterval(() => this.checkDueJobs(), intervalMs);
    this.jobCheckTimer.unref();
  }

  private checkDueJobs(): void {
    if (this.failed || this.closed) return;
    for (const due of this.dueJobs.collect(this.options.clock.nowMs())) {
      this.queue.push({ command: { valueType: 'JOB', intent: due.intent, key: due.key, value: {} } });
    }
    this.scheduleDrain();
  }

  // --- BPMN timers and message time to live (engine-owned scheduling) ---------------------------------------

  private startTimerChecks(): void {
    const intervalMs = this.options.timerCheckIntervalMs ?? TIMER_CHECK_INTERVAL_DEFAULT_MS;
    this.timerCheckTimer = setInterval(() => this.checkDueTimers(), intervalMs);
    this.timerCheckTimer.unref();
  }

  /** Writes TIMER TRIGGER and MESSAGE EXPIRE for what came due; the engine checks again with the command's time. */
  private checkDueTimers(): void {
    if (this.failed || this.closed) return;
    const due = this.dueTimers.collect(this.options.clock.nowMs());
    if (due.length === 0) return;
    for (const command of due) this.queue.push({ command: { valueType: command.valueType, intent: command.intent, key: command.key, value: {} } });
    this.scheduleDrain();
  }

  // ----------------------------------------------------------------------------------------------------------

  /** Takes a snapshot of what is durable and deletes the log below it (and below every exporter's position). */
  async snapshotAndCompact(exportedPosition: number): Promise<void> {
    await this.log.flush();
    // Only what RocksDB holds is durable in the log too (persist follows fsync), so snapshot exactly that.
    const snapshot = await this.snapshots.take(this.store, { persistUpTo: this.store.persistedPosition });
    const compactBelow = Math.min(snapshot.position, exportedPosition);
    const index = findEntryIndexForPosition(this.log, compactBelow);
    if (index !== undefined && index > this.log.firstIndex) await this.log.deleteBefore(index);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.jobCheckTimer) clearInterval(this.jobCheckTimer);
    if (this.timerCheckTimer) clearInterval(this.timerCheckTimer);
    // Let what was processed become durable, so the answers already computed are not lost.
    while (this.queueHead < this.queue.length && !this.failed) this.drain();
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
