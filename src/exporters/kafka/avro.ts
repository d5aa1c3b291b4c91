import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { RECORD_VERSION, stringify, type Record } from '../../protocol/index.js';

/**
 * Avro longs as bigints. avsc's default long type refuses values beyond 2^53, and every key of partition 4 and up is
 * beyond it (keys carry the partition in their high bits), so longs are read and written as 64-bit integers.
 */
export const bigintLongType = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value);
    return buffer;
  },
  fromJSON: (value: number | string | bigint) => BigInt(value),
  toJSON: (value: bigint) => (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (left: bigint, right: bigint) => (left === right ? 0 : left < right ? -1 : 1),
});

/** Parses an Avro schema with 64-bit longs decoded to bigint. */
export function avroType(schema: string | object): avro.Type {
  return avro.Type.forSchema(typeof schema === 'string' ? (JSON.parse(schema) as avro.Schema) : (schema as avro.Schema), {
    registry: { long: bigintLongType },
  });
}

/** The schemas folder at the repository root (the same relative place from src/ and from dist/). */
const SCHEMAS_FOLDER = new URL('../../../schemas/', import.meta.url);

/** The schema of exported records (schemas/record.avsc) as JSON text, minified. */
export function recordSchemaText(): string {
  return JSON.stringify(JSON.parse(readFileSync(new URL('record.avsc', SCHEMAS_FOLDER), 'utf8')));
}

/** The Avro datum of a record for schemas/record.avsc. */
export function recordDatum(record: Record): object {
  const { processInstanceKey, bpmnProcessId } = record.value;
  return {
    partitionId: record.partitionId,
    position: BigInt(record.position),
    sourceRecordPosition: BigInt(record.sourceRecordPosition),
    key: record.key,
    timestamp: BigInt(record.timestamp),
    recordType: record.recordType,
    valueType: record.valueType,
    intent: record.intent,
    rejectionType: record.rejectionType,
    rejectionReason: record.rejectionReason,
    brokerVersion: record.brokerVersion,
    recordVersion: RECORD_VERSION,
    processInstanceKey: typeof processInstanceKey === 'bigint' ? processInstanceKey : typeof processInstanceKey === 'number' ? BigInt(processInstanceKey) : null,
    bpmnProcessId: typeof bpmnProcessId === 'string' ? bpmnProcessId : null,
    value: stringify(record.value),
  };
}

const CONFLUENT_MAGIC_BYTE = 0;
const CONFLUENT_HEADER_BYTES = 5;

/** Confluent's wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the Avro binary body. */
export function confluentEncode(schemaId: number, type: avro.Type, datum: unknown): Buffer {
  const body = type.toBuffer(datum);
  const message = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + body.length);
  message.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  message.writeInt32BE(schemaId, 1);
  body.copy(message, CONFLUENT_HEADER_BYTES);
  return message;
}

/** Splits a message in Confluent's wire format into its schema id and Avro body; throws if it is not one. */
export function confluentSplit(message: Buffer): { schemaId: number; body: Buffer } {
  if (message.length < CONFLUENT_HEADER_BYTES || message.readUInt8(0) !== CONFLUENT_MAGIC_BYTE) {
    throw new Error('Expected a message in Confluent wire format (magic byte 0 and a 4-byte schema id)');
  }
  return { schemaId: message.readInt32BE(1), body: message.subarray(CONFLUENT_HEADER_BYTES) };
}
