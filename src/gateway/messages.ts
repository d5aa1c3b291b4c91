/**
 * The gateway_protocol messages as the handlers see them: proto-loader decodes with keepCase, longs as decimal
 * strings, enums as names and defaults filled in, so every field is present. Only the messages of implemented RPCs
 * are spelled out. Responses may leave fields out; the encoder fills proto defaults.
 */

/** An int64 on this wire: a decimal string when decoded; a string, number or bigint-free value when encoded. */
export type Int64 = string;

export interface TopologyResponse {
  brokers: {
    nodeId: number;
    host: string;
    port: number;
    version: string;
    partitions: { partitionId: number; role: string; health: string }[];
  }[];
  clusterSize: number;
  partitionsCount: number;
  replicationFactor: number;
  gatewayVersion: string;
}

export interface ResourceMessage {
  name: string;
  content: Buffer;
}

export interface DeployResourceRequest {
  resources: ResourceMessage[];
  tenantId: string;
}

export interface DeployProcessRequest {
  processes: { name: string; definition: Buffer }[];
}

export interface ProcessMetadataMessage {
  bpmnProcessId: string;
  version: number;
  processDefinitionKey: Int64;
  resourceName: string;
  tenantId: string;
}

/** One deployed resource; exactly one of the fields is set (the proto's oneof Metadata). */
export interface DeploymentMessage {
  process?: ProcessMetadataMessage;
  decision?: {
    dmnDecisionId: string;
    dmnDecisionName: string;
    version: number;
    decisionKey: Int64;
    dmnDecisionRequirementsId: string;
    decisionRequirementsKey: Int64;
    tenantId: string;
  };
  decisionRequirements?: {
    dmnDecisionRequirementsId: string;
    dmnDecisionRequirementsName: string;
    version: number;
    decisionRequirementsKey: Int64;
    resourceName: string;
    tenantId: string;
  };
  form?: { formId: string; version: number; formKey: Int64; resourceName: string; tenantId: string };
}

export interface DeployResourceResponse {
  key: Int64;
  deployments: DeploymentMessage[];
  tenantId: string;
}

export interface DeployProcessResponse {
  key: Int64;
  processes: ProcessMetadataMessage[];
}

export interface CreateProcessInstanceRequest {
  processDefinitionKey: Int64;
  bpmnProcessId: string;
  version: number;
  variables: string;
  startInstructions: { elementId: string }[];
  tenantId: string;
  /** Not supported yet; refused when given rather than ignored. */
  runtimeInstructions: unknown[];
}

export interface CreateProcessInstanceResponse {
  processDefinitionKey: Int64;
  bpmnProcessId: string;
  version: number;
  processInstanceKey: Int64;
  tenantId: string;
}

export interface CreateProcessInstanceWithResultRequest {
  /** Absent when the client did not send it (message fields are not defaulted). */
  request: CreateProcessInstanceRequest | null;
  requestTimeout: Int64;
  fetchVariables: string[];
}

export interface CreateProcessInstanceWithResultResponse extends CreateProcessInstanceResponse {
  variables: string;
}

export interface CancelProcessInstanceRequest {
  processInstanceKey: Int64;
}

export interface ModifyProcessInstanceRequest {
  processInstanceKey: Int64;
  activateInstructions: {
    elementId: string;
    ancestorElementInstanceKey: Int64;
    variableInstructions: { variables: string; scopeId: string }[];
  }[];
  terminateInstructions: { elementInstanceKey: Int64 }[];
}

export interface ActivateJobsRequest {
  type: string;
  worker: string;
  timeout: Int64;
  maxJobsToActivate: number;
  fetchVariable: string[];
  requestTimeout: Int64;
  tenantIds: string[];
}

export interface StreamActivatedJobsRequest {
  type: string;
  worker: string;
  timeout: Int64;
  fetchVariable: string[];
  tenantIds: string[];
}

export interface ActivatedJobMessage {
  key: Int64;
  type: string;
  processInstanceKey: Int64;
  bpmnProcessId: string;
  processDefinitionVersion: number;
  processDefinitionKey: Int64;
  elementId: string;
  elementInstanceKey: Int64;
  customHeaders: string;
  worker: string;
  retries: number;
  deadline: Int64;
  variables: string;
  tenantId: string;
  kind: string;
  listenerEventType: string;
}

export interface ActivateJobsResponse {
  jobs: ActivatedJobMessage[];
}

export interface CompleteJobRequest {
  jobKey: Int64;
  variables: string;
  /** A listener's or ad-hoc sub-process's job result; null when absent. Not supported yet. */
  result: object | null;
}

export interface FailJobRequest {
  jobKey: Int64;
  retries: number;
  errorMessage: string;
  retryBackOff: Int64;
  variables: string;
}

export interface ThrowErrorRequest {
  jobKey: Int64;
  errorCode: string;
  errorMessage: string;
  variables: string;
}

export interface UpdateJobRetriesRequest {
  jobKey: Int64;
  retries: number;
}

export interface UpdateJobTimeoutRequest {
  jobKey: Int64;
  timeout: Int64;
}

export interface SetVariablesRequest {
  elementInstanceKey: Int64;
  variables: string;
  local: boolean;
}

export interface SetVariablesResponse {
  key: Int64;
}

export interface ResolveIncidentRequest {
  incidentKey: Int64;
}

/** The responses that carry no fields. */
export type EmptyResponse = Record<string, never>;
