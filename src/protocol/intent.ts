import type { ValueType } from './value-type.js';

/**
 * Intents per value type, named as Zeebe names them. Commands are verbs, events are past tense.
 * The order within each list is part of the binary log format: append new intents at the end, never reorder.
 */
export const INTENTS = {
  DEPLOYMENT: ['CREATE', 'CREATED', 'DISTRIBUTE', 'DISTRIBUTED', 'FULLY_DISTRIBUTED'],
  PROCESS: ['CREATED', 'DELETING', 'DELETED'],
  PROCESS_INSTANCE: [
    'CANCEL',
    'SEQUENCE_FLOW_TAKEN',
    'ELEMENT_ACTIVATING',
    'ELEMENT_ACTIVATED',
    'ELEMENT_COMPLETING',
    'ELEMENT_COMPLETED',
    'ELEMENT_TERMINATING',
    'ELEMENT_TERMINATED',
    'ACTIVATE_ELEMENT',
    'COMPLETE_ELEMENT',
    'TERMINATE_ELEMENT',
    'CONTINUE_TERMINATING_ELEMENT',
  ],
  PROCESS_INSTANCE_CREATION: ['CREATE', 'CREATED', 'CREATE_WITH_AWAITING_RESULT'],
  PROCESS_INSTANCE_RESULT: ['COMPLETED'],
  JOB: [
    'CREATED',
    'COMPLETE',
    'COMPLETED',
    'TIME_OUT',
    'TIMED_OUT',
    'FAIL',
    'FAILED',
    'UPDATE_RETRIES',
    'RETRIES_UPDATED',
    'CANCELED',
    'THROW_ERROR',
    'ERROR_THROWN',
    'RECUR_AFTER_BACKOFF',
    'RECURRED_AFTER_BACKOFF',
    'YIELD',
    'YIELDED',
    'UPDATE_TIMEOUT',
    'TIMEOUT_UPDATED',
    'UPDATE',
    'UPDATED',
    'MIGRATED',
  ],
  JOB_BATCH: ['ACTIVATE', 'ACTIVATED'],
  INCIDENT: ['CREATED', 'RESOLVE', 'RESOLVED', 'MIGRATED'],
  VARIABLE: ['CREATED', 'UPDATED', 'MIGRATED'],
  VARIABLE_DOCUMENT: ['UPDATE', 'UPDATED', 'UPDATE_DENIED'],
  MESSAGE: ['PUBLISH', 'PUBLISHED', 'EXPIRE', 'EXPIRED'],
  MESSAGE_SUBSCRIPTION: ['CREATE', 'CREATED', 'CORRELATING', 'CORRELATE', 'CORRELATED', 'REJECT', 'REJECTED', 'DELETE', 'DELETED', 'MIGRATED'],
  PROCESS_MESSAGE_SUBSCRIPTION: ['CREATE', 'CREATING', 'CREATED', 'CORRELATE', 'CORRELATED', 'DELETE', 'DELETING', 'DELETED', 'MIGRATED'],
  MESSAGE_START_EVENT_SUBSCRIPTION: ['CREATED', 'CORRELATED', 'DELETED'],
  TIMER: ['CREATED', 'TRIGGER', 'TRIGGERED', 'CANCELED', 'MIGRATED'],
  ERROR: ['CREATED'],
  SIGNAL: ['BROADCAST', 'BROADCASTED'],
  SIGNAL_SUBSCRIPTION: ['CREATED', 'DELETED', 'MIGRATED'],
  ESCALATION: ['ESCALATED', 'NOT_ESCALATED'],
  PROCESS_EVENT: ['TRIGGERING', 'TRIGGERED'],
  RESOURCE_DELETION: ['DELETE', 'DELETING', 'DELETED'],
  COMMAND_DISTRIBUTION: ['STARTED', 'DISTRIBUTING', 'ACKNOWLEDGE', 'ACKNOWLEDGED', 'FINISHED'],
  PROCESS_INSTANCE_MODIFICATION: ['MODIFY', 'MODIFIED'],
  DEPLOYMENT_DISTRIBUTION: ['DISTRIBUTING', 'COMPLETE', 'COMPLETED'],
  DECISION: ['CREATED', 'DELETED'],
  DECISION_REQUIREMENTS: ['CREATED', 'DELETED'],
  DECISION_EVALUATION: ['EVALUATE', 'EVALUATED', 'FAILED'],
  CHECKPOINT: ['CREATE', 'CREATED', 'IGNORED'],
  USER_TASK: ['CREATING', 'CREATED', 'COMPLETE', 'COMPLETING', 'COMPLETED', 'CANCELING', 'CANCELED', 'ASSIGN', 'ASSIGNING', 'ASSIGNED', 'UPDATE', 'UPDATING', 'UPDATED'],
  COMPENSATION_SUBSCRIPTION: ['CREATED', 'TRIGGERED', 'COMPLETED', 'DELETED'],
  MESSAGE_CORRELATION: ['CORRELATE', 'CORRELATED', 'NOT_CORRELATED'],
  PROCESS_INSTANCE_BATCH: ['ACTIVATE', 'ACTIVATED', 'TERMINATE', 'TERMINATED'],
  // The exporter director's acknowledged positions, written through the log so that a new leader resumes from them.
  EXPORTER: ['POSITION_UPDATED', 'UPDATE_POSITION', 'DELETE_POSITION', 'POSITION_DELETED'],
  // The built-in schema registry's changes, written through partition 1's log (see src/engine/processors/schema/).
  SCHEMA: [
    'REGISTER',
    'REGISTERED',
    'DELETE_SUBJECT',
    'SUBJECT_DELETED',
    'DELETE_VERSION',
    'VERSION_DELETED',
    'UPDATE_CONFIG',
    'CONFIG_UPDATED',
    'DELETE_CONFIG',
    'CONFIG_DELETED',
    'IMPORT',
    'IMPORTED',
  ],
} as const satisfies { [K in ValueType]: readonly string[] };

export type IntentOf<V extends ValueType> = (typeof INTENTS)[V][number];
export type Intent = { [V in ValueType]: IntentOf<V> }[ValueType];

const intentCodes = new Map<string, Map<string, number>>(
  Object.entries(INTENTS).map(([valueType, names]) => [
    valueType,
    new Map((names as readonly string[]).map((name, index) => [name, index])),
  ]),
);

export function intentToCode(valueType: ValueType, intent: string): number {
  const code = intentCodes.get(valueType)?.get(intent);
  if (code === undefined) throw new Error(`Unknown intent '${intent}' for value type '${valueType}'`);
  return code;
}

export function intentFromCode(valueType: ValueType, code: number): Intent {
  const name = (INTENTS[valueType] as readonly string[])[code];
  if (name === undefined) throw new Error(`Unknown intent code ${code} for value type '${valueType}'`);
  return name as Intent;
}
