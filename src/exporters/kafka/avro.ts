import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { RECORD_VERSION, stringify, type Record, type Value, type ValueType } from '../../protocol/index.js';

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

/** Value types with a typed value schema in schemas/values/; the others are exported with record.avsc alone. */
export const TYPED_VALUE_TYPES: readonly ValueType[] = ['PROCESS_INSTANCE', 'JOB', 'INCIDENT', 'VARIABLE', 'MESSAGE', 'DEPLOYMENT', 'PROCESS'];

/** The field that carries the typed value, beside `value` (JSON text), in the schemas of typed value types. */
export const TYPED_VALUE_FIELD = 'typedValue';

/**
 * The schema of a value type's exported records, as JSON text: record.avsc, and for a typed value type one more
 * field, `typedValue`, the value with its fields as Avro types (schemas/values/<value-type>.avsc).
 *
 * A typed schema has a name of its own (`ProcessInstanceRecord`, ...): consumers that parse every schema into one
 * avsc registry (as @kafkajs/confluent-schema-registry does with a registry option) would refuse two different
 * schemas of one name. It keeps `Record` as an alias and `typedValue` has a default, so it reads data written with
 * record.avsc, which earlier versions registered under the same subjects: BACKWARD compatible, the registry's default.
 */
export function recordSchemaTextFor(valueType: ValueType): string {
  if (!TYPED_VALUE_TYPES.includes(valueType)) return recordSchemaText();
  const record = JSON.parse(recordSchemaText()) as { name: string; namespace: string; aliases?: string[]; fields: object[] };
  record.aliases = [`${record.namespace}.${record.name}`];
  record.name = `${pascalCase(valueType)}Record`;
  const file = `values/${valueType.toLowerCase().replaceAll('_', '-')}.avsc`;
  const value = JSON.parse(readFileSync(new URL(file, SCHEMAS_FOLDER), 'utf8')) as object;
  const doc = 'The value with typed fields (null in records written with record.avsc alone); `value` has the same as JSON text.';
  record.fields.push({ name: TYPED_VALUE_FIELD, type: ['null', value], default: null, doc });
  return JSON.stringify(record);
}

/** The Avro datum of a record for the schema of its value type (see recordSchemaTextFor). */
export function typedRecordDatum(record: Record, type: avro.Type): object {
  const datum = recordDatum(record) as { [field: string]: unknown };
  const field = (type as avro.types.RecordType).fields.find((candidate) => candidate.name === TYPED_VALUE_FIELD);
  if (field !== undefined) datum[TYPED_VALUE_FIELD] = datumOf(record.value, field.type);
  return datum;
}

/**
 * Converts a record value (or part of one) to the Avro type: what does not fit a nullable field becomes null, objects
 * that a string field holds (variables) become JSON text. Driven by the schema, so schemas/values/ alone says what
 * is exported.
 */
function datumOf(value: Value | undefined, type: avro.Type): unknown {
  if (type.typeName.startsWith('union')) {
    const other = (type as avro.types.UnwrappedUnionType).types.find((candidate: avro.Type) => candidate.typeName !== 'null');
    if (value === undefined || value === null || other === undefined) return null;
    const converted = datumOf(value, other);
    return converted === undefined ? null : converted;
  }
  switch (type.typeName) {
    case 'string':
      return typeof value === 'string' ? value : stringify(value);
    // The bigint long type above is an abstract long in avsc's terms.
    case 'long':
    case 'abstract:long':
      if (typeof value === 'bigint') return value;
      return typeof value === 'number' && Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
    case 'int':
      if (typeof value === 'bigint') return Number(value);
      return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'bytes':
      return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : undefined;
    case 'array': {
      if (!Array.isArray(value)) return undefined;
      const items = (type as avro.types.ArrayType).itemsType;
      return value.map((item) => datumOf(item, items)).filter((item) => item !== undefined);
    }
    case 'map': {
      if (!isObject(value)) return undefined;
      const values = (type as avro.types.MapType).valuesType;
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, datumOf(item, values)]).filter(([, item]) => item !== undefined));
    }
    case 'record': {
      if (!isObject(value)) return undefined;
      const fields = (type as avro.types.RecordType).fields;
      return Object.fromEntries(fields.map((field) => [field.name, datumOf(value[field.name], field.type) ?? null]));
    }
    default:
      return undefined;
  }
}

/** PROCESS_INSTANCE -> ProcessInstance */
function pascalCase(valueType: ValueType): string {
  return valueType
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

function isObject(value: Value | undefined): value is { [field: string]: Value | undefined } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
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
