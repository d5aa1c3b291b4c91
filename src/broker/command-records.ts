import { BROKER_VERSION, encodeRecordBatch, type ByteWriter, type Intent, type Record, type RecordValue, type ValueType } from '../protocol/index.js';

/** The log's entry limit (16 MiB), less room for its own header. */
export const LOG_ENTRY_BYTES_MAX = 16 * 1024 * 1024 - 1024;

/** What a command carries before a partition gives it a position and a timestamp. */
export interface CommandFields {
  valueType: ValueType;
  intent: Intent;
  key: bigint;
  value: RecordValue;
  requestId?: number;
  requestStreamId?: number;
}

/** A command as a record of the log: at a position, stamped with the leader's time. */
export function commandRecord(partitionId: number, position: number, timestamp: number, command: CommandFields): Record {
  return {
    partitionId,
    position,
    sourceRecordPosition: -1,
    key: command.key,
    timestamp,
    recordType: 'COMMAND',
    valueType: command.valueType,
    intent: command.intent,
    rejectionType: 'NULL_VAL',
    rejectionReason: '',
    brokerVersion: BROKER_VERSION,
    value: command.value,
    requestId: command.requestId,
    requestStreamId: command.requestStreamId,
  };
}

/** Encodes the records one command wrote as one log entry; more than the entry limit is a processing error. */
export function encodeLogEntry(records: Record[], writer: ByteWriter): Buffer {
  const payload = encodeRecordBatch(records, writer);
  if (payload.length > LOG_ENTRY_BYTES_MAX) {
    throw new RangeError(`Expected the records of one command to fit in ${LOG_ENTRY_BYTES_MAX} bytes, but they take ${payload.length}`);
  }
  return payload;
}
