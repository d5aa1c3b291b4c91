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
import type { RequestMetadata } from '../transport/server-call.js';
import { durationMs, optionalKey, tenantIdOrDefault, TIMER_DELAY_MAX_MS, variablesDocument } from '../request-fields.js';
import { messagePartition } from './publish-message.js';

/**
 * gRPC request header with which a client (the Kafka connectors) makes a creation idempotent: a second creation with
 * the same key within the broker's idempotency window answers with the first instance instead of starting another.
 */
export const IDEMPOTENCY_KEY_HEADER = 'tributary-idempotency-key';
/** Bound on the header's length, so that a client cannot make the engine keep large keys. */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 512;

/** CreateProcessInstance -> PROCESS_INSTANCE_CREATION CREATE on the next partition; answered from CREATED. */
export async function createProcessInstance(
  context: GatewayContext,
  request: CreateProcessInstanceRequest,
  metadata?: RequestMetadata,
): Promise<CreateProcessInstanceResponse> {
  const value = withIdempotencyKey(creationValue(request, []), metadata);
  const record = await executeCommand(context, partitionFor(context, value), {
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
  metadata?: RequestMetadata,
): Promise<CreateProcessInstanceWithResultResponse> {
  if (request.request === null || request.request === undefined) {
    throw invalidArgument("Expected a 'request' describing the process instance to create, but none was given", { field: 'request' });
  }
  const value = withIdempotencyKey(creationValue(request.request, request.fetchVariables), metadata);
  const requestTimeoutMs = durationMs(request.requestTimeout, 'requestTimeout');
  const timeoutMs = requestTimeoutMs > 0 ? Math.min(requestTimeoutMs, TIMER_DELAY_MAX_MS) : context.requestTimeoutDefaultMs;
  const record = await executeCommand(
    context,
    partitionFor(context, value),
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

/** The key in the request's `tributary-idempotency-key` header, if it carries one, on the command value. */
function withIdempotencyKey(value: ProcessInstanceCreationRecordValue, metadata: RequestMetadata | undefined): ProcessInstanceCreationRecordValue {
  const values = metadata?.get(IDEMPOTENCY_KEY_HEADER) ?? [];
  if (values.length === 0) return value;
  const key = String(values[0]);
  if (values.length > 1 || key.length === 0 || key.length > IDEMPOTENCY_KEY_LENGTH_MAX) {
    throw invalidArgument(`Expected at most one '${IDEMPOTENCY_KEY_HEADER}' header of 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} characters, but got ${values.length} of lengths ${values.map((item) => String(item).length).join(', ')}`, { field: IDEMPOTENCY_KEY_HEADER });
  }
  return { ...value, idempotencyKey: key };
}

/**
 * A creation with an idempotency key goes to the partition the key hashes to, so that a repeated creation meets the
 * key where the first one left it; others go round-robin.
 */
function partitionFor(context: GatewayContext, value: ProcessInstanceCreationRecordValue): number {
  return value.idempotencyKey === undefined ? context.broker.partitionForNewInstance() : messagePartition(context.broker, value.idempotencyKey);
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
