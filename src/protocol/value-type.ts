/**
 * Value types, named as Zeebe names them so that tooling written for Zeebe's record stream understands ours.
 * The order of this list is part of the binary log format: append new names at the end, never reorder.
 */
export const VALUE_TYPES = [
  'DEPLOYMENT',
  'PROCESS',
  'PROCESS_INSTANCE',
  'PROCESS_INSTANCE_CREATION',
  'PROCESS_INSTANCE_RESULT',
  'JOB',
  'JOB_BATCH',
  'INCIDENT',
  'VARIABLE',
  'VARIABLE_DOCUMENT',
  'MESSAGE',
  'MESSAGE_SUBSCRIPTION',
  'PROCESS_MESSAGE_SUBSCRIPTION',
  'MESSAGE_START_EVENT_SUBSCRIPTION',
  'TIMER',
  'ERROR',
  'SIGNAL',
  'SIGNAL_SUBSCRIPTION',
  'ESCALATION',
  'PROCESS_EVENT',
  'RESOURCE_DELETION',
  'COMMAND_DISTRIBUTION',
  'PROCESS_INSTANCE_MODIFICATION',
  'DEPLOYMENT_DISTRIBUTION',
  'DECISION',
  'DECISION_REQUIREMENTS',
  'DECISION_EVALUATION',
  'CHECKPOINT',
  'USER_TASK',
  'COMPENSATION_SUBSCRIPTION',
  'MESSAGE_CORRELATION',
  'PROCESS_INSTANCE_BATCH',
  'EXPORTER',
  'SCHEMA',
] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

const valueTypeIndex = new Map<string, number>(VALUE_TYPES.map((name, index) => [name, index]));

export function valueTypeToCode(valueType: ValueType): number {
  const code = valueTypeIndex.get(valueType);
  if (code === undefined) throw new Error(`Unknown value type '${valueType}'`);
  return code;
}

export function valueTypeFromCode(code: number): ValueType {
  const name = VALUE_TYPES[code];
  if (name === undefined) throw new Error(`Unknown value type code ${code}`);
  return name;
}
