import type { Record } from '../protocol/index.js';
import type { StateStore } from '../state/index.js';
import { EngineState } from '../state/domain/index.js';
import { EventAppliers } from './appliers/event-appliers.js';
import { Behaviors } from './behaviors/index.js';
import type { AwaitingResult, ProcessingContext } from './context.js';
import { RoundRobinJobStreams, type JobStreamRegistry } from './job-streams.js';
import type { ProcessingResult } from './processing-result.js';
import { ProcessCache } from './process-cache.js';
import { COMMAND_PROCESSORS } from './processors/command-processors.js';
import { findMissingMessageStartSubscriptions, type RepairCommand } from './scheduled/message-start-repair.js';
import { Writers } from './writers.js';

export interface ProcessOptions {
  /** True for a command not yet in the log: it is returned as the first record. */
  isNew: boolean;
  /** The position the first record written gets. */
  nextPosition: number;
  /**
   * Encodes the records for the log. It runs before the state transaction commits, so a batch that cannot be
   * encoded (a value too large or too deep) is undone and answered as a processing error instead of half-applied.
   */
  encode?: (records: Record[]) => Buffer;
}

export interface EngineOptions {
  partitionId: number;
  store: StateStore;
  jobStreams?: JobStreamRegistry;
  /** How many partitions the cluster has: messages live on the partition their correlation key hashes to. */
  partitionCount?: number;
  /** Bound on the commands processed in one batch (the command and its follow-ups); the rest are processed next. */
  commandsPerBatchMax?: number;
  /** How long an idempotency key of a process instance creation is remembered; one hour by default. */
  idempotencyWindowMs?: number;
  /** Accept deploying a call activity whose static called process is deployed nowhere, as Zeebe does; off by default. */
  allowUnknownCalledProcess?: boolean;
}

/**
 * The stream processing engine of one partition: processes a command with its follow-up commands into one batch
 * of records (events applied to state as they are written), and replays records read back from the log.
 * It reads no clock and no randomness: "now" is the command's timestamp, keys come from state.
 */
export class Engine {
  readonly state: EngineState;
  private readonly store: StateStore;
  private readonly appliers: EventAppliers;
  private readonly writers: Writers;
  private readonly context: ProcessingContext;
  private readonly commandsPerBatchMax: number;
  private readonly processes: ProcessCache;

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.state = new EngineState(options.store, options.partitionId);
    const processes = new ProcessCache(this.state.processes);
    this.processes = processes;
    this.appliers = new EventAppliers(this.state, processes);
    this.writers = new Writers(options.partitionId, (record) => this.appliers.apply(record));
    const jobStreams = options.jobStreams ?? new RoundRobinJobStreams();
    this.commandsPerBatchMax = options.commandsPerBatchMax ?? 1000;
    this.context = {
      partitionId: options.partitionId,
      state: this.state,
      writers: this.writers,
      processes,
      jobStreams,
      awaitingResults: new Map<bigint, AwaitingResult>(),
      idempotencyWindowMs: options.idempotencyWindowMs,
      allowUnknownCalledProcess: options.allowUnknownCalledProcess,
      behaviors: new Behaviors({
        partitionId: options.partitionId,
        partitionCount: options.partitionCount ?? 1,
        state: this.state,
        writers: this.writers,
        jobStreams,
        processes,
      }),
    };
  }

  /**
   * Processes a command. A new command (not yet in the log) must carry its position and timestamp and is returned
   * as the first record; a leftover command (already in the log) gets only its results, from nextPosition on.
   */
  processCommand(command: Record, options: ProcessOptions): ProcessingResult {
    try {
      return this.processBatch(command, options);
    } catch (error) {
      return this.processingFailed(command, options, error);
    }
  }

  private processBatch(command: Record, options: ProcessOptions): ProcessingResult {
    const writers = this.writers;
    writers.beginBatch(options.nextPosition, command.timestamp);
    if (options.isNew) {
      command.processedInBatch = true;
      writers.addPositioned(command);
    }
    this.processOne(command);
    let processedCount = 1;
    let next = 0;
    while (next < writers.followUpCommands.length && processedCount < this.commandsPerBatchMax) {
      const followUp = writers.followUpCommands[next++];
      followUp.processedInBatch = true;
      this.processOne(followUp);
      processedCount++;
    }
    const leftoverCommands = writers.followUpCommands.slice(next);
    if (options.isNew && writers.records.length === 1 && leftoverCommands.length === 0 && this.isReadOnly(command)) {
      // Nothing happened but an answer (an empty job activation): keep the log free of it.
      this.store.rollbackTransaction();
      return { records: [], responses: writers.responses, sideEffects: writers.sideEffects, leftoverCommands: [] };
    }
    const payload = options.encode?.(writers.records);
    this.store.commitTransaction(writers.records[writers.records.length - 1]?.position ?? command.position);
    return { records: writers.records, responses: writers.responses, sideEffects: writers.sideEffects, leftoverCommands, payload };
  }

  private processOne(command: Record): void {
    this.writers.setSource(command);
    const processor = COMMAND_PROCESSORS.get(`${command.valueType}.${command.intent}`);
    if (processor) processor.process(command, this.context);
    else {
      const reason = `Expected to process a command of value type '${command.valueType}' with intent '${command.intent}', but no processor handles it`;
      this.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
    }
    this.state.markProcessed(command.position);
  }

  /**
   * Commands a new leader writes once after recovery to repair state that older builds left incomplete; empty on
   * data written by this build.
   */
  repairCommands(): RepairCommand[] {
    return findMissingMessageStartSubscriptions(this.state, this.processes);
  }

  /** Commands whose processing may legitimately write nothing. */
  private isReadOnly(command: Record): boolean {
    return command.valueType === 'JOB_BATCH' && command.intent === 'ACTIVATE';
  }

  /**
   * An unexpected error while processing: undo the batch, then write the command with a PROCESSING_ERROR
   * rejection and an ERROR event, so the partition goes on with the next command instead of getting stuck.
   */
  private processingFailed(command: Record, options: ProcessOptions, error: unknown): ProcessingResult {
    this.store.rollbackTransaction();
    const writers = this.writers;
    writers.beginBatch(options.nextPosition, command.timestamp);
    if (options.isNew) writers.addPositioned(command);
    let payload = this.tryEncode(options, () => this.writeFailure(command, error));
    if (payload === null) {
      // Even the command cannot be encoded: log it without its value, so the log stays readable.
      this.store.rollbackTransaction();
      const withoutValue = { ...command, value: {} };
      writers.beginBatch(options.nextPosition, command.timestamp);
      if (options.isNew) writers.addPositioned(withoutValue);
      payload = this.tryEncode(options, () => this.writeFailure(withoutValue, error)) ?? undefined;
    }
    this.store.commitTransaction(writers.records[writers.records.length - 1].position);
    return { records: writers.records, responses: writers.responses, sideEffects: [], leftoverCommands: [], payload };
  }

  private tryEncode(options: ProcessOptions, write: () => void): Buffer | undefined | null {
    write();
    try {
      return options.encode?.(this.writers.records);
    } catch {
      return null;
    }
  }

  private writeFailure(command: Record, error: unknown): void {
    const writers = this.writers;
    writers.setSource(command);
    const message = error instanceof Error ? error.message : String(error);
    writers.appendRejection(command, 'PROCESSING_ERROR', `Expected to process command, but an unexpected error occurred: ${message}`);
    writers.appendEvent(this.state.keys.nextKey(), 'ERROR', 'CREATED', {
      exceptionMessage: message,
      stacktrace: error instanceof Error ? (error.stack ?? '') : '',
      errorEventPosition: command.position,
      processInstanceKey: -1n,
    });
    this.state.markProcessed(command.position);
  }

  /**
   * Replays one record read back from the log (after a restart, or on a follower): events go through the same
   * appliers as during processing; commands only move the processed position. Call endReplayedEntry after each entry.
   */
  replay(record: Record): void {
    this.state.keys.setKeyIfHigher(record.key);
    if (record.recordType === 'EVENT') this.appliers.apply(record);
    if (record.recordType === 'COMMAND' && record.processedInBatch) this.state.markProcessed(record.position);
    if (record.sourceRecordPosition >= 0) this.state.markProcessed(record.sourceRecordPosition);
  }

  endReplayedEntry(lastPosition: number): void {
    this.store.commitTransaction(lastPosition);
  }
}
