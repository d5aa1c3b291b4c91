import type { ProcessInstanceCreationRecordValue, ProcessInstanceResultRecordValue } from '../../protocol/index.js';
import { NO_KEY } from '../../protocol/index.js';
import { asRecordValue, executeCommand, int64Text, valueOf, type GatewayContext } from '../gateway-context.js';
import { invalidArgument, unimplemented } from '../grpc-errors.js';
import { stringifyJson } from '../../protocol/index.js';
import type {
  CreateProcessInstanceRequest,
  CreateProcessInstanceResponse,
  CreateProcessInstanceWithResultRequest,
  CreateProcessInstanceWithResultResponse,
} from '../messages.js';
import { durationMs, optionalKey, tenantIdOrDefault, TIMER_DELAY_MAX_MS, variablesDocument } from '../request-fields.js';

/** CreateProcessInstance -> PROCESS_INSTANCE_CREATION CREATE on the next partition; answered from CREATED. */
export async function createProcessInstance(
  context: GatewayContext,
  request: CreateProcessInstanceRequest,
): Promise<CreateProcessInstanceResponse> {
  const value = creationValue(request, []);
  const record = await executeCommand(context, context.broker.partitionForNewInstance(), {
    valueType: 'PROCESS_INSTANCE_CREATION',
    intent: 'CREATE',
    key: NO_KEY,
    value: asRecordValue(value),
  });
  const created = valueOf<ProcessInstanceCreationRecordValue>(record);
  return {
    processDefinitionKey: int64Text(created.processDefinitionKey),
    bpmnProcessId: created.bpmnProcessId,
    version: created.version,
    processInstanceKey: int64Text(created.processInstanceKey),
    tenantId: created.tenantId,
  };
}

/**
 * CreateProcessInstanceWithResult -> PROCESS_INSTANCE_CREATION CREATE_WITH_AWAITING_RESULT, answered once the
 * instance completes, by PROCESS_INSTANCE_RESULT COMPLETED. The request's timeout bounds the wait.
 */
export async function createProcessInstanceWithResult(
  context: GatewayContext,
  request: CreateProcessInstanceWithResultRequest,
): Promise<CreateProcessInstanceWithResultResponse> {
  if (request.request === null || request.request === undefined) {
    throw invalidArgument("Expected a 'request' describing the process instance to create, but none was given", { field: 'request' });
  }
  const value = creationValue(request.request, request.fetchVariables);
  const requestTimeoutMs = durationMs(request.requestTimeout, 'requestTimeout');
  const timeoutMs = requestTimeoutMs > 0 ? Math.min(requestTimeoutMs, TIMER_DELAY_MAX_MS) : context.requestTimeoutDefaultMs;
  const record = await executeCommand(
    context,
    context.broker.partitionForNewInstance(),
    { valueType: 'PROCESS_INSTANCE_CREATION', intent: 'CREATE_WITH_AWAITING_RESULT', key: NO_KEY, value: asRecordValue(value) },
    timeoutMs,
  );
  const result = valueOf<ProcessInstanceResultRecordValue>(record);
  return {
    processDefinitionKey: int64Text(result.processDefinitionKey),
    bpmnProcessId: result.bpmnProcessId,
    version: result.version,
    processInstanceKey: int64Text(result.processInstanceKey),
    variables: stringifyJson(result.variables),
    tenantId: result.tenantId,
  };
}

function creationValue(request: CreateProcessInstanceRequest, fetchVariables: string[]): ProcessInstanceCreationRecordValue {
  const processDefinitionKey = optionalKey(request.processDefinitionKey, 'processDefinitionKey');
  if (request.bpmnProcessId.length === 0 && processDefinitionKey === NO_KEY) {
    throw invalidArgument("Expected either a 'bpmnProcessId' or a 'processDefinitionKey', but none was given", {
      field: 'bpmnProcessId',
    });
  }
  if (request.runtimeInstructions !== undefined && request.runtimeInstructions.length > 0) {
    throw unimplemented('runtime instructions of CreateProcessInstance');
  }
  return {
    bpmnProcessId: request.bpmnProcessId,
    version: request.version,
    processDefinitionKey,
    processInstanceKey: NO_KEY,
    variables: variablesDocument(request.variables),
    fetchVariables,
    startInstructions: request.startInstructions.map((instruction) => ({ elementId: instruction.elementId })),
    tenantId: tenantIdOrDefault(request.tenantId),
  };
}
