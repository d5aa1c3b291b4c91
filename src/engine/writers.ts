import {
  BROKER_VERSION,
  type Intent,
  type Record,
  type RecordValue,
  type RejectionType,
  type ValueType,
} from '../protocol/index.js';
import type { PendingResponse, SideEffect } from './processing-result.js';

/** Applies an event to state the moment it is written, so the rest of the processing sees its effect. */
export type EventApplier = (record: Record) => void;

/**
 * Collects what the processing of one command (and its in-batch follow-ups) writes: events (applied at once),
 * follow-up commands, rejections, responses and side effects. Positions are assigned as records are written, so
 * follow-ups can name their source; nothing else writes to the log while a command is processed.
 */
export class Writers {
  records: Record[] = [];
  responses: PendingResponse[] = [];
  sideEffects: SideEffect[] = [];
  /** Follow-up commands not yet processed, in the order they were written. */
  followUpCommands: Record[] = [];
  private nextPosition = 0;
  private timestamp = 0;
  private sourcePosition = -1;

  constructor(
    private readonly partitionId: number,
    private readonly applyEvent: EventApplier,
  ) {}

  /** Starts a batch; records get positions from nextPosition on and the timestamp of the command that started it. */
  beginBatch(nextPosition: number, timestamp: number): void {
    this.records = [];
    this.responses = [];
    this.sideEffects = [];
    this.followUpCommands = [];
    this.nextPosition = nextPosition;
    this.timestamp = timestamp;
  }

  /** Sets the command whose processing the next records belong to. */
  setSource(command: Record): void {
    this.sourcePosition = command.position;
  }

  /** Adds a record that was already positioned (the command that opens the batch). */
  addPositioned(record: Record): void {
    this.records.push(record);
    this.nextPosition = record.position + 1;
  }

  appendEvent<V extends object>(key: bigint, valueType: ValueType, intent: Intent, value: V): Record<V> {
    const record = this.newRecord(key, 'EVENT', valueType, intent, value);
    this.records.push(record);
    this.applyEvent(record);
    return record as Record<V>;
  }

  appendCommand<V extends object>(key: bigint, valueType: ValueType, intent: Intent, value: V): Record<V> {
    const record = this.newRecord(key, 'COMMAND', valueType, intent, value);
    this.records.push(record);
    this.followUpCommands.push(record);
    return record as Record<V>;
  }

  appendRejection(command: Record, rejectionType: RejectionType, reason: string): Record {
    const record = this.newRecord(command.key, 'COMMAND_REJECTION', command.valueType, command.intent, command.value);
    record.rejectionType = rejectionType;
    record.rejectionReason = reason;
    this.records.push(record);
    this.respond(command, record);
    return record;
  }

  /** Answers the request that wrote the command, if a request waits for it. */
  respond(command: Record, record: Record<object>): void {
    if (command.requestId === undefined) return;
    this.responses.push({ requestId: command.requestId, requestStreamId: command.requestStreamId ?? 0, record: record as Record });
  }

  respondTo(requestId: number, requestStreamId: number, record: Record<object>): void {
    this.responses.push({ requestId, requestStreamId, record: record as Record });
  }

  sideEffect(effect: SideEffect): void {
    this.sideEffects.push(effect);
  }

  /** A record that is sent as a response but never written (for example an empty job batch). */
  unwrittenRecord<V extends object>(key: bigint, valueType: ValueType, intent: Intent, value: V): Record<V> {
    return { ...this.newRecord(key, 'EVENT', valueType, intent, value), position: -1 } as Record<V>;
  }

  private newRecord(key: bigint, recordType: Record['recordType'], valueType: ValueType, intent: Intent, value: object): Record {
    return {
      partitionId: this.partitionId,
      position: this.nextPosition++,
      sourceRecordPosition: this.sourcePosition,
      key,
      timestamp: this.timestamp,
      recordType,
      valueType,
      intent,
      rejectionType: 'NULL_VAL',
      rejectionReason: '',
      brokerVersion: BROKER_VERSION,
      value: value as RecordValue,
    };
  }
}
