import { DueJobCommands, DueTimerCommands, type Engine, type ProcessingResult } from '../engine/index.js';
import { TributaryError } from '../errors.js';
import { ByteWriter, encodeRecordBatch, type Record } from '../protocol/index.js';
import { awaitingResultRequestId, CommandLimiter, createLimitAlgorithm, isAlwaysAccepted, ResultSlots, type DurableCommand } from './backpressure/index.js';
import { commandRecord, encodeLogEntry, type CommandFields } from './command-records.js';
import type { PartitionOptions } from './partition.js';

/**
 * What differs between a single broker's partition (it appends to its own log and fsyncs) and a Raft replica (it
 * proposes, and a quorum commits): how the records of one processed command become durable.
 */
export interface CommandDurability {
  /** False while commands must wait: the partition failed or is closing, or a replica is not the processing leader. */
  canProcess(): boolean;
  /**
   * Starts making the records of one command (one log entry, ending at lastPosition) durable. Returns the entry's
   * index where the log assigns it at once (a local log, see completeThrough); a replica returns 0, as its entries
   * commit in the order proposed (see shiftAwaiting).
   */
  write(payload: Buffer, lastPosition: number): number;
  /** The index of the last entry written: a command that wrote nothing completes once that entry is durable. */
  lastEntryIndex(): number;
  /** A turn of processing ended after this many commands: the moment to flush, or to answer what wrote nothing. */
  endTurn(processed: number): void;
}

export type CommandLoopOptions = Pick<PartitionOptions, 'partitionId' | 'clock' | 'listener' | 'settings' | 'jobCheckIntervalMs' | 'timerCheckIntervalMs'>;

/** A processed command waiting for its records to become durable (or committed). */
export interface AwaitingDurability extends DurableCommand {
  /** False when it wrote no records: it completes as soon as every command before it has. */
  written: boolean;
  /** The log entry whose durability completes it, where the log assigns indexes at once (CommandDurability.write). */
  entryIndex: number;
  lastPosition: number;
  result: ProcessingResult;
}

/** A command waiting to be processed: new (from a client or the partition itself) or a follow-up already in the log. */
interface QueuedCommand {
  command?: CommandFields;
  /** When back-pressure admitted it; undefined for commands that take no slot. */
  acceptedAtMs?: number;
  leftover?: Record;
}

/** Bound on the commands processed in one turn of the event loop, so gRPC and disk callbacks get their turn. */
const COMMANDS_PER_TURN_MAX = 256;
/** The processed head of the queue is cut off once it is this long and more than half the queue. */
const QUEUE_HEAD_COMPACT_MIN = 1024;
const JOB_CHECK_INTERVAL_DEFAULT_MS = 1000;
/** Timers fire within tens of milliseconds of their due date. */
const TIMER_CHECK_INTERVAL_DEFAULT_MS = 25;

/**
 * The command loop of a partition's leader: admits commands under back-pressure, processes them in order in bounded
 * turns, hands each command's records to the durability strategy as one log entry, and once they are durable
 * settles back-pressure slots, answers and runs side effects in processing order. It also writes the commands for
 * jobs and timers that came due. The partition owns what surrounds it: its log, state, failure and roles.
 */
export class CommandLoop {
  private readonly queue: QueuedCommand[] = [];
  private queueHead = 0;
  private awaiting: AwaitingDurability[] = [];
  private drainScheduled = false;
  private readonly writer = new ByteWriter(64 * 1024);
  /** Made once rather than per command: the engine calls it to encode a command's records as one log entry. */
  private readonly encode = (records: Record[]): Buffer => encodeLogEntry(records, this.writer);
  private engine!: Engine;
  private dueJobs!: DueJobCommands;
  private dueTimers!: DueTimerCommands;
  private jobCheckTimer: NodeJS.Timeout | undefined;
  private timerCheckTimer: NodeJS.Timeout | undefined;
  private limiterValue!: CommandLimiter;
  private resultSlots!: ResultSlots;

  constructor(
    private readonly options: CommandLoopOptions,
    engine: Engine,
    private nextPosition: number,
    private readonly durability: CommandDurability,
  ) {
    this.useEngine(engine);
    this.renewAdmission();
  }

  /** The adaptive limit on commands in flight. */
  get limiter(): CommandLimiter {
    return this.limiterValue;
  }

  /** Commands queued or processed whose records are not durable yet. */
  get pendingCommandCount(): number {
    return this.queue.length - this.queueHead + this.awaiting.length;
  }

  /** Processes with a (re)opened engine from now on; due jobs and timers are looked up in its state. */
  useEngine(engine: Engine): void {
    this.engine = engine;
    this.dueJobs = new DueJobCommands(engine.state.jobs);
    this.dueTimers = new DueTimerCommands(engine.state.timers, engine.state.messages);
  }

  /** A fresh limit and fresh held slots: a new leader does not inherit the load its predecessor measured. */
  renewAdmission(): void {
    const { backpressure, pendingCommandsMax } = this.options.settings;
    this.limiterValue = new CommandLimiter(createLimitAlgorithm(backpressure ?? { algorithm: 'aimd', limitMax: pendingCommandsMax }));
    this.resultSlots = new ResultSlots(this.limiterValue);
  }

  /** The next command processed gets this position (a new leader continues after what it applied). */
  resumeAt(nextPosition: number): void {
    this.nextPosition = nextPosition;
  }

  /** Queues a client's command. Throws RESOURCE_EXHAUSTED under back-pressure (never for completing or failing a job). */
  admit(command: CommandFields): void {
    const alwaysAccepted = isAlwaysAccepted(command);
    if (!this.limiterValue.tryAcquire(alwaysAccepted)) {
      throw new TributaryError('RESOURCE_EXHAUSTED', `Expected to handle the request, but partition ${this.options.partitionId} is overloaded (${this.limiterValue.limit} commands in flight); retry later`);
    }
    // Always-accepted commands take no slot, so none is released (and no latency sampled) when they complete.
    this.queue.push({ command, acceptedAtMs: alwaysAccepted ? undefined : this.options.clock.nowMs() });
    this.scheduleDrain();
  }

  /** Queues a command the partition writes itself (a repair): it takes no back-pressure slot. */
  enqueueOwn(command: CommandFields): void {
    this.queue.push({ command });
  }

  /** Queues a follow-up command that is in the log but was not processed yet (past a batch bound, or a crash). */
  enqueueLeftover(leftover: Record): void {
    this.queue.push({ leftover });
  }

  /** The request of a creation awaiting its result timed out: its back-pressure slot is free (see ResultSlots). */
  onResultRequestTimedOut(requestId: number): void {
    this.resultSlots.onTimedOut(requestId, this.options.clock.nowMs());
  }

  scheduleDrain(): void {
    if (this.drainScheduled || !this.durability.canProcess()) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  /** Processes everything queued now, turn by turn (on close, so the answers already computed are not lost). */
  drainAll(): void {
    while (this.queueHead < this.queue.length && this.durability.canProcess()) this.drain();
  }

  private drain(): void {
    this.drainScheduled = false;
    if (!this.durability.canProcess()) return;
    let processed = 0;
    while (this.queueHead < this.queue.length && processed < COMMANDS_PER_TURN_MAX && this.durability.canProcess()) {
      const item = this.queue[this.queueHead];
      // Cleared so the processed command can be collected before the queue is compacted.
      this.queue[this.queueHead++] = undefined as unknown as QueuedCommand;
      this.process(item);
      processed++;
    }
    this.compactQueue();
    if (this.queueHead < this.queue.length) this.scheduleDrain();
    this.durability.endTurn(processed);
  }

  private process(item: QueuedCommand): void {
    const result = this.processCommand(item);
    const written = result.records.length > 0;
    let entryIndex: number;
    if (written) {
      const lastPosition = result.records[result.records.length - 1].position;
      this.nextPosition = lastPosition + 1;
      entryIndex = this.durability.write(result.payload ?? encodeRecordBatch(result.records, this.writer), lastPosition);
    } else {
      entryIndex = this.durability.lastEntryIndex();
    }
    this.awaiting.push({ written, entryIndex, lastPosition: this.nextPosition - 1, result, acceptedAtMs: item.acceptedAtMs, awaitingResultRequestId: awaitingResultRequestId(item.command) });
    // Follow-ups past the batch bound go first, before any newer command, so positions stay in processing order.
    if (result.leftoverCommands.length > 0) {
      const leftovers = result.leftoverCommands.map((leftover) => ({ leftover }));
      this.queue.splice(this.queueHead, 0, ...leftovers);
    }
  }

  /** A new command is stamped with the next position and the leader's time; a leftover keeps its own. */
  private processCommand(item: QueuedCommand): ProcessingResult {
    const position = this.nextPosition;
    if (item.command === undefined) return this.engine.processCommand(item.leftover!, { isNew: false, nextPosition: position, encode: this.encode });
    const record = commandRecord(this.options.partitionId, position, this.options.clock.nowMs(), item.command);
    return this.engine.processCommand(record, { isNew: true, nextPosition: position + 1, encode: this.encode });
  }

  private compactQueue(): void {
    if (this.queueHead > QUEUE_HEAD_COMPACT_MIN && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  // ---- completion, once durable ----

  /**
   * Completes, in order, the commands whose entries are durable up to entryIndex (a local log), collecting their
   * records in committed. Returns the last position completed, or undefined when none was.
   */
  completeThrough(entryIndex: number, committed: Record[]): number | undefined {
    let count = 0;
    let lastPosition: number | undefined;
    while (count < this.awaiting.length && this.awaiting[count].entryIndex <= entryIndex) {
      const item = this.awaiting[count++];
      this.complete(item, committed);
      lastPosition = item.lastPosition;
    }
    // Removed after the answers, so commands being answered still count as pending meanwhile.
    if (count > 0) this.awaiting.splice(0, count);
    return lastPosition;
  }

  /** Completes the commands at the head that wrote nothing: everything before them is durable. */
  completeUnwritten(committed: Record[]): void {
    while (this.awaiting.length > 0 && !this.awaiting[0].written) this.complete(this.awaiting.shift()!, committed);
  }

  /** Takes the oldest processed command off the list, for a replica to check against the entry that committed. */
  shiftAwaiting(): AwaitingDurability | undefined {
    return this.awaiting.shift();
  }

  /** A command's records are durable: its slot is settled, then its answers and side effects go out. */
  complete(item: AwaitingDurability, committed: Record[]): void {
    const { result } = item;
    this.resultSlots.onDurable(item, result, this.options.clock.nowMs());
    for (const record of result.records) committed.push(record);
    for (const response of result.responses) this.options.listener.onResponse(response);
    for (const effect of result.sideEffects) this.options.listener.onSideEffect(effect);
  }

  /** Drops every queued and processed command (a step-down or close), failing the requests that wait for them. */
  abandon(error: TributaryError, onRequestFailed: (requestId: number, error: TributaryError) => void): void {
    for (let index = this.queueHead; index < this.queue.length; index++) {
      const requestId = this.queue[index].command?.requestId;
      if (requestId !== undefined) onRequestFailed(requestId, error);
    }
    this.queue.length = 0;
    this.queueHead = 0;
    for (const item of this.awaiting) for (const response of item.result.responses) onRequestFailed(response.requestId, error);
    this.awaiting = [];
  }

  // ---- jobs and timers that came due (engine-owned scheduling) ----

  startDueChecks(): void {
    const options = this.options;
    this.jobCheckTimer = setInterval(() => this.checkDueJobs(), options.jobCheckIntervalMs ?? JOB_CHECK_INTERVAL_DEFAULT_MS);
    this.jobCheckTimer.unref();
    this.timerCheckTimer = setInterval(() => this.checkDueTimers(), options.timerCheckIntervalMs ?? TIMER_CHECK_INTERVAL_DEFAULT_MS);
    this.timerCheckTimer.unref();
  }

  stopDueChecks(): void {
    if (this.jobCheckTimer) clearInterval(this.jobCheckTimer);
    if (this.timerCheckTimer) clearInterval(this.timerCheckTimer);
    this.jobCheckTimer = undefined;
    this.timerCheckTimer = undefined;
  }

  /** Writes JOB TIME_OUT and RECUR_AFTER_BACKOFF for what came due; the processors check again with the command's time. */
  private checkDueJobs(): void {
    if (!this.durability.canProcess()) return;
    const due = this.dueJobs.collect(this.options.clock.nowMs());
    if (due.length === 0) return;
    for (const job of due) this.queue.push({ command: { valueType: 'JOB', intent: job.intent, key: job.key, value: {} } });
    this.scheduleDrain();
  }

  /** Writes TIMER TRIGGER and MESSAGE EXPIRE for what came due; the engine checks again with the command's time. */
  private checkDueTimers(): void {
    if (!this.durability.canProcess()) return;
    const due = this.dueTimers.collect(this.options.clock.nowMs());
    if (due.length === 0) return;
    for (const command of due) this.queue.push({ command: { valueType: command.valueType, intent: command.intent, key: command.key, value: {} } });
    this.scheduleDrain();
  }
}
