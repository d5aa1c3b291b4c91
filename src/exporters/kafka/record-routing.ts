import { RECORD_TYPES, VALUE_TYPES, type Record, type RecordType, type ValueType } from '../../protocol/index.js';

export const KAFKA_TOPIC_PREFIX_DEFAULT = 'tributary';

/** What a record's Kafka key is made of. */
export const KAFKA_KEY_FIELDS = ['processInstanceKey', 'key', 'partitionId'] as const;
export type KafkaKeyField = (typeof KAFKA_KEY_FIELDS)[number];

/** One topic per value type: PROCESS_INSTANCE goes to `<prefix>-process-instance`. */
export function topicFor(prefix: string, valueType: ValueType): string {
  return `${prefix}-${valueType.toLowerCase().replaceAll('_', '-')}`;
}

/**
 * The Kafka key as decimal text. By default the process instance key, so every record of one instance lands in one
 * Kafka partition, in order; records that belong to no instance (deployments, job batches, messages) fall back to
 * their own key.
 */
export function kafkaKeyFor(record: Record, field: KafkaKeyField): Buffer {
  if (field === 'partitionId') return Buffer.from(String(record.partitionId));
  if (field === 'processInstanceKey') {
    const instanceKey = record.value.processInstanceKey;
    if ((typeof instanceKey === 'bigint' || typeof instanceKey === 'number') && instanceKey > 0) return Buffer.from(String(instanceKey));
  }
  return Buffer.from(String(record.key));
}

/** Headers that let a consumer route and de-duplicate without decoding the value: (partitionId, position) is unique. */
export function kafkaHeadersFor(record: Record): { [name: string]: string } {
  return {
    partitionId: String(record.partitionId),
    position: String(record.position),
    recordType: record.recordType,
    valueType: record.valueType,
    intent: record.intent,
  };
}

export interface RecordFilterOptions {
  /** Only these record types; all when left out. */
  recordTypes?: readonly RecordType[];
  /** Only these value types; all when left out. */
  valueTypes?: readonly ValueType[];
  /**
   * Only records of these processes (the value's bpmnProcessId); records that name no process (job batches,
   * messages) pass. All when left out.
   */
  bpmnProcessIds?: readonly string[];
}

export type RecordFilter = (record: Record) => boolean;

export function recordFilter(options: RecordFilterOptions): RecordFilter {
  for (const recordType of options.recordTypes ?? []) {
    if (!RECORD_TYPES.includes(recordType)) throw new Error(`Expected a record type (${RECORD_TYPES.join(', ')}), but got '${recordType}'`);
  }
  for (const valueType of options.valueTypes ?? []) {
    if (!VALUE_TYPES.includes(valueType)) throw new Error(`Expected a value type (${VALUE_TYPES.join(', ')}), but got '${valueType}'`);
  }
  const recordTypes = options.recordTypes && new Set<string>(options.recordTypes);
  const valueTypes = options.valueTypes && new Set<string>(options.valueTypes);
  const processIds = options.bpmnProcessIds && new Set(options.bpmnProcessIds);
  return (record) => {
    if (recordTypes !== undefined && !recordTypes.has(record.recordType)) return false;
    if (valueTypes !== undefined && !valueTypes.has(record.valueType)) return false;
    if (processIds !== undefined) {
      const processId = record.value.bpmnProcessId;
      if (typeof processId === 'string' && processId !== '' && !processIds.has(processId)) return false;
    }
    return true;
  };
}
