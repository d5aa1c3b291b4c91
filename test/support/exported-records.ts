import type { ExportedRecord } from './broker-process.js';

/**
 * Questions a test asks of the records a broker exported (its JSON-lines file). Keys in the file are JSON numbers;
 * clients carry them as decimal strings, so keys are compared as text.
 */

export function sameKey(a: unknown, b: unknown): boolean {
  return String(a) === String(b);
}

/** The process instance's own ELEMENT_COMPLETED event, if it has completed. */
export function processInstanceCompleted(records: ExportedRecord[], processInstanceKey: string): ExportedRecord | undefined {
  return processInstanceEvent(records, processInstanceKey, 'ELEMENT_COMPLETED');
}

export function processInstanceTerminated(records: ExportedRecord[], processInstanceKey: string): ExportedRecord | undefined {
  return processInstanceEvent(records, processInstanceKey, 'ELEMENT_TERMINATED');
}

function processInstanceEvent(records: ExportedRecord[], processInstanceKey: string, intent: string): ExportedRecord | undefined {
  return records.find(
    (record) =>
      record.recordType === 'EVENT' &&
      record.valueType === 'PROCESS_INSTANCE' &&
      record.intent === intent &&
      record.value.bpmnElementType === 'PROCESS' &&
      sameKey(record.key, processInstanceKey),
  );
}

/** INCIDENT events of one intent (CREATED, RESOLVED) for a process instance. */
export function incidentEvents(records: ExportedRecord[], processInstanceKey: string, intent: 'CREATED' | 'RESOLVED'): ExportedRecord[] {
  return records.filter(
    (record) =>
      record.recordType === 'EVENT' &&
      record.valueType === 'INCIDENT' &&
      record.intent === intent &&
      sameKey(record.value.processInstanceKey, processInstanceKey),
  );
}
