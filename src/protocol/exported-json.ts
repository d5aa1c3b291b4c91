import { RECORD_VERSION, type Record, type Value } from './record.js';

/**
 * Serialises a record in the shape of Zeebe's exported record JSON. 64-bit integers are written as bare JSON
 * numbers, exactly as Zeebe writes them (consumers that need exactness parse them as 64-bit); bytes as base64.
 * Internal metadata (request ids, batch flags) is left out.
 */
export function toExportedJson(record: Record): string {
  return (
    `{"partitionId":${record.partitionId},"value":${stringify(record.value)},"key":${record.key},` +
    `"timestamp":${record.timestamp},"recordType":"${record.recordType}","valueType":"${record.valueType}",` +
    `"intent":"${record.intent}","rejectionType":"${record.rejectionType}",` +
    `"rejectionReason":${JSON.stringify(record.rejectionReason)},"brokerVersion":${JSON.stringify(record.brokerVersion)},` +
    `"sourceRecordPosition":${record.sourceRecordPosition},"position":${record.position},` +
    `"recordVersion":${RECORD_VERSION},"authorizations":{},"operationReference":-1,"batchOperationReference":-1}`
  );
}

export function stringify(value: Value | undefined): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  const parts: string[] = [];
  for (const field in value) {
    const item = value[field];
    if (item !== undefined) parts.push(`${JSON.stringify(field)}:${stringify(item)}`);
  }
  return `{${parts.join(',')}}`;
}
