import {
  DEFAULT_TENANT_ID,
  NO_KEY,
  type IncidentRecordValue,
  type JobRecordValue,
  type ProcessInstanceRecordValue,
  type VariableDocument,
} from '../protocol/index.js';

/**
 * Command values with every field present and Zeebe's defaults (-1 for absent keys and numbers, '' for strings),
 * so a command exported from the log has the same shape as Zeebe's. Each builder writes one object literal of a
 * fixed shape, which keeps the hot path monomorphic.
 */
export interface JobCommandChanges {
  retries?: number;
  retryBackoff?: number;
  timeout?: number;
  errorMessage?: string;
  errorCode?: string;
  variables?: VariableDocument;
}

export function jobCommandValue(changes: JobCommandChanges): JobRecordValue {
  return {
    type: '',
    worker: '',
    retries: changes.retries ?? -1,
    retryBackoff: changes.retryBackoff ?? 0,
    recurringTime: -1,
    deadline: -1,
    timeout: changes.timeout ?? -1,
    errorMessage: changes.errorMessage ?? '',
    errorCode: changes.errorCode ?? '',
    customHeaders: {},
    variables: changes.variables ?? {},
    processInstanceKey: NO_KEY,
    bpmnProcessId: '',
    processDefinitionVersion: -1,
    processDefinitionKey: NO_KEY,
    elementId: '',
    elementInstanceKey: NO_KEY,
    tenantId: DEFAULT_TENANT_ID,
    jobKind: 'BPMN_ELEMENT',
    jobListenerEventType: 'UNSPECIFIED',
    changedAttributes: [],
  };
}

export function processInstanceCommandValue(processInstanceKey: bigint): ProcessInstanceRecordValue {
  return {
    bpmnProcessId: '',
    version: -1,
    processDefinitionKey: NO_KEY,
    processInstanceKey,
    elementId: '',
    flowScopeKey: NO_KEY,
    bpmnElementType: 'UNSPECIFIED',
    bpmnEventType: 'UNSPECIFIED',
    parentProcessInstanceKey: NO_KEY,
    parentElementInstanceKey: NO_KEY,
    tenantId: DEFAULT_TENANT_ID,
  };
}

export function incidentCommandValue(): IncidentRecordValue {
  return {
    errorType: 'UNKNOWN',
    errorMessage: '',
    bpmnProcessId: '',
    processDefinitionKey: NO_KEY,
    processInstanceKey: NO_KEY,
    elementId: '',
    elementInstanceKey: NO_KEY,
    jobKey: NO_KEY,
    variableScopeKey: NO_KEY,
    tenantId: DEFAULT_TENANT_ID,
  };
}
