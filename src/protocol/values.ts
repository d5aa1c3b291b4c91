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
  /**
   * Set by a client that may send the same creation again (a Kafka connector replaying a record): a second CREATE
   * with the same key within the idempotency window answers with the first instance instead of starting another.
   */
  idempotencyKey?: string;
  /** On CREATED with an idempotencyKey: until when (the command's timestamp plus the window) the key is remembered. */
  idempotencyKeyExpiresAtMs?: number;
}

/** Variables to set in one scope of an activation: the element `elementId` (empty: the process instance). */
export interface ProcessInstanceModificationVariableInstruction {
  variables: VariableDocument;
  elementId: string;
}

export interface ProcessInstanceModificationActivateInstruction {
  elementId: string;
  /** The flow scope instance to activate the element in; -1 lets the engine choose. */
  ancestorScopeKey: bigint;
  variableInstructions: ProcessInstanceModificationVariableInstruction[];
  /**
   * In the MODIFIED event: the flow scope instance the element was activated under, then the flow scope instances
   * the activation created for it, outermost first.
   */
  ancestorScopeKeys: bigint[];
}

export interface ProcessInstanceModificationRecordValue {
  processInstanceKey: bigint;
  activateInstructions: ProcessInstanceModificationActivateInstruction[];
  terminateInstructions: { elementInstanceKey: bigint }[];
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

export interface MessageSubscriptionRecordValue {
  processInstanceKey: bigint;
  elementInstanceKey: bigint;
  processDefinitionKey: bigint;
  bpmnProcessId: string;
  messageName: string;
  correlationKey: string;
  messageKey: bigint;
  variables: VariableDocument;
  interrupting: boolean;
  tenantId: string;
}

export interface ProcessMessageSubscriptionRecordValue {
  subscriptionPartitionId: number;
  processInstanceKey: bigint;
  elementInstanceKey: bigint;
  bpmnProcessId: string;
  messageName: string;
  correlationKey: string;
  messageKey: bigint;
  variables: VariableDocument;
  interrupting: boolean;
  elementId: string;
  tenantId: string;
}

export interface MessageStartEventSubscriptionRecordValue {
  processDefinitionKey: bigint;
  bpmnProcessId: string;
  startEventId: string;
  messageName: string;
  messageKey: bigint;
  correlationKey: string;
  variables: VariableDocument;
  processInstanceKey: bigint;
  tenantId: string;
}

export interface TimerRecordValue {
  elementInstanceKey: bigint;
  processInstanceKey: bigint;
  processDefinitionKey: bigint;
  dueDate: number;
  targetElementId: string;
  /** Repetitions left after this one; -1 repeats forever. */
  repetitions: number;
  tenantId: string;
}

/** An event that was triggered for a scope, waiting for the scope to act on it (Zeebe's PROCESS_EVENT). */
export interface ProcessEventRecordValue {
  scopeKey: bigint;
  targetElementId: string;
  variables: VariableDocument;
  processDefinitionKey: bigint;
  processInstanceKey: bigint;
  tenantId: string;
}

export interface SignalSubscriptionRecordValue {
  processDefinitionKey: bigint;
  bpmnProcessId: string;
  catchEventId: string;
  /** The element instance that waits; -1 for a signal start event. */
  catchEventInstanceKey: bigint;
  signalName: string;
  tenantId: string;
}

export interface SignalRecordValue {
  signalName: string;
  variables: VariableDocument;
  tenantId: string;
}

/** An escalation thrown by an escalation throw or end event; catchElementId is empty when nothing caught it. */
export interface EscalationRecordValue {
  processInstanceKey: bigint;
  escalationCode: string;
  throwElementId: string;
  catchElementId: string;
  tenantId: string;
}

/**
 * A completed activity that can be compensated (Zeebe's COMPENSATION_SUBSCRIPTION): created when the activity
 * completes, triggered by a compensation throw event, completed when its handler completes.
 */
export interface CompensationSubscriptionRecordValue {
  tenantId: string;
  processInstanceKey: bigint;
  processDefinitionKey: bigint;
  compensableActivityId: string;
  compensableActivityScopeId: string;
  compensableActivityInstanceKey: bigint;
  compensableActivityScopeKey: bigint;
  throwEventId: string;
  throwEventInstanceKey: bigint;
  compensationHandlerId: string;
  compensationHandlerInstanceKey: bigint;
  variables: VariableDocument;
}
