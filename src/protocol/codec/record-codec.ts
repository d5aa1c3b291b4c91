import { intentFromCode, intentToCode } from '../intent.js';
import { RECORD_TYPES, type RecordType } from '../record-type.js';
import type { Record, RecordValue } from '../record.js';
import { REJECTION_TYPES, type RejectionType } from '../rejection-type.js';
import { valueTypeFromCode, valueTypeToCode } from '../value-type.js';
import { ByteReader, ByteWriter, readValue, writeValue } from './value-codec.js';

/**
 * Binary form of a batch of records, the payload of one log entry. Version 1 layout, little endian:
 *   u8 format version, u32 record count, then per record:
 *   u8 recordType, u8 valueType, u8 intent, u8 rejectionType, u8 flags (bit 0 processedInBatch, bit 1 has request),
 *   u16 partitionId, f64 position, f64 sourceRecordPosition, i64 key, f64 timestamp,
 *   [f64 requestId, f64 requestStreamId when flag bit 1], string rejectionReason, string brokerVersion, value.
 * Positions and timestamps are integers below 2^53, which a float64 holds exactly.
 */
export const RECORD_BATCH_FORMAT_VERSION = 1;

const recordTypeCodes = new Map<string, number>(RECORD_TYPES.map((name, index) => [name, index]));
const rejectionTypeCodes = new Map<string, number>(REJECTION_TYPES.map((name, index) => [name, index]));

const FLAG_PROCESSED_IN_BATCH = 1;
const FLAG_HAS_REQUEST = 2;

export function encodeRecordBatch(records: readonly Record[], writer = new ByteWriter(512 * records.length)): Buffer {
  writer.offset = 0;
  writer.u8(RECORD_BATCH_FORMAT_VERSION);
  writer.u32(records.length);
  for (const record of records) writeRecord(writer, record);
  return writer.toBuffer();
}

export function writeRecord(writer: ByteWriter, record: Record): void {
  const hasRequest = record.requestId !== undefined;
  writer.u8(recordTypeCodes.get(record.recordType)!);
  writer.u8(valueTypeToCode(record.valueType));
  writer.u8(intentToCode(record.valueType, record.intent));
  writer.u8(rejectionTypeCodes.get(record.rejectionType)!);
  writer.u8((record.processedInBatch ? FLAG_PROCESSED_IN_BATCH : 0) | (hasRequest ? FLAG_HAS_REQUEST : 0));
  writer.u16(record.partitionId);
  writer.f64(record.position);
  writer.f64(record.sourceRecordPosition);
  writer.i64(record.key);
  writer.f64(record.timestamp);
  if (hasRequest) {
    writer.f64(record.requestId!);
    writer.f64(record.requestStreamId ?? 0);
  }
  writer.string(record.rejectionReason);
  writer.string(record.brokerVersion);
  writeValue(writer, record.value);
}

export function decodeRecordBatch(payload: Buffer): Record[] {
  const reader = new ByteReader(payload);
  const version = reader.u8();
  if (version !== RECORD_BATCH_FORMAT_VERSION) {
    throw new RangeError(`Unsupported record batch format version ${version} (this build reads ${RECORD_BATCH_FORMAT_VERSION})`);
  }
  const count = reader.u32();
  const records: Record[] = new Array(count);
  for (let i = 0; i < count; i++) records[i] = readRecord(reader);
  if (reader.offset !== payload.length) throw new RangeError(`Trailing bytes after record batch: ${payload.length - reader.offset}`);
  return records;
}

export function readRecord(reader: ByteReader): Record {
  const recordType = RECORD_TYPES[reader.u8()] as RecordType;
  const valueType = valueTypeFromCode(reader.u8());
  const intent = intentFromCode(valueType, reader.u8());
  const rejectionType = REJECTION_TYPES[reader.u8()] as RejectionType;
  const flags = reader.u8();
  const record: Record = {
    partitionId: reader.u16(),
    position: reader.f64(),
    sourceRecordPosition: reader.f64(),
    key: reader.i64(),
    timestamp: reader.f64(),
    recordType,
    valueType,
    intent,
    rejectionType,
    rejectionReason: '',
    brokerVersion: '',
    value: {},
  };
  if (flags & FLAG_HAS_REQUEST) {
    record.requestId = reader.f64();
    record.requestStreamId = reader.f64();
  }
  if (flags & FLAG_PROCESSED_IN_BATCH) record.processedInBatch = true;
  record.rejectionReason = reader.string();
  record.brokerVersion = reader.string();
  record.value = readValue(reader) as RecordValue;
  return record;
}

/** Offset of the first record's position in a batch: version (1), count (4), five one-byte fields, partition (2). */
const FIRST_POSITION_OFFSET = 12;

/** Reads the position of a batch's first record without decoding the batch (to search the log by position). */
export function peekFirstPosition(payload: Buffer): number {
  return payload.readDoubleLE(FIRST_POSITION_OFFSET);
}
