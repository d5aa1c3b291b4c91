/**
 * Record value shapes, with Zeebe's exported field names. Only the value types the engine writes today are
 * spelled out; the rest are added with the features that write them.
 */
export const DEFAULT_TENANT_ID = '<default>';

/** A variable document: names to JSON values (a client's JSON object, parsed). */
export type VariableDocument = { [name: string]: unknown };

export interface DeploymentResource {
  resourceName: string;
  resource: Uint8Array;
}

export interface ProcessMetadataValue {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: bigint;
  resourceName: string;
  checksum: string;
  duplicate: boolean;
  tenantId: string;
  deploymentKey: bigint;
  versionTag: string;
}

export interface DeploymentRecordValue {
  resources: DeploymentResource[];
  processesMetadata: ProcessMetadataValue[];
  decisionsMetadata: unknown[];
  decisionRequirementsMetadata: unknown[];
  formMetadata: unknown[];
  tenantId: string;
  deploymentKey: bigint;
}

export interface ProcessRecordValue {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: bigint;
  resourceName: string;
  checksum: string;
  resource: Uint8Array;
  tenantId: string;
  deploymentKey: bigint;
  versionTag: string;
}

export interface ProcessInstanceRecordValue {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: bigint;
  processInstanceKey: bigint;
  elementId: string;
  flowScopeKey: bigint;
  bpmnElementType: string;
  bpmnEventType: string;
  parentProcessInstanceKey: bigint;
  parentElementInstanceKey: bigint;
  tenantId: string;
}

export interface ProcessInstanceCreationRecordValue {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: bigint;
  processInstanceKey: bigint;
  variables: VariableDocument;
  fetchVariables: string[];
  startInstructions: { elementId: string }[];
  tenantId: string;
}

export interface ProcessInstanceResultRecordValue {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: bigint;
  processInstanceKey: bigint;
  variables: VariableDocument;
  tenantId: string;
}

export interface JobRecordValue {
  type: string;
  worker: string;
  retries: number;
  retryBackoff: number;
  recurringTime: number;
  deadline: number;
  timeout: number;
  errorMessage: string;
  errorCode: string;
  customHeaders: { [name: string]: string };
  variables: VariableDocument;
  processInstanceKey: bigint;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  processDefinitionKey: bigint;
  elementId: string;
  elementInstanceKey: bigint;
  tenantId: string;
  jobKind: string;
  jobListenerEventType: string;
  changedAttributes: string[];
}

export interface JobBatchRecordValue {
  type: string;
  worker: string;
  timeout: number;
  maxJobsToActivate: number;
  jobKeys: bigint[];
  jobs: JobRecordValue[];
  variables: string[];
  truncated: boolean;
  tenantIds: string[];
}

export interface IncidentRecordValue {
  errorType: string;
  errorMessage: string;
  bpmnProcessId: string;
  processDefinitionKey: bigint;
  processInstanceKey: bigint;
  elementId: string;
  elementInstanceKey: bigint;
  jobKey: bigint;
  variableScopeKey: bigint;
  tenantId: string;
}

export interface VariableRecordValue {
  name: string;
  /** The value as a JSON text, as in Zeebe's records. */
  value: string;
  scopeKey: bigint;
  processInstanceKey: bigint;
  processDefinitionKey: bigint;
  bpmnProcessId: string;
  tenantId: string;
}

export interface VariableDocumentRecordValue {
  scopeKey: bigint;
  updateSemantics: 'LOCAL' | 'PROPAGATE';
  variables: VariableDocument;
  tenantId: string;
}

export interface ErrorRecordValue {
  exceptionMessage: string;
  stacktrace: string;
  errorEventPosition: number;
  processInstanceKey: bigint;
}

export interface MessageRecordValue {
  name: string;
  correlationKey: string;
  timeToLive: number;
  messageId: string;
  variables: VariableDocument;
  deadline: number;
  tenantId: string;
}
