import {
  DEFAULT_TENANT_ID,
  type ProcessInstanceCreationRecordValue,
  type ProcessInstanceRecordValue,
  type ProcessRecordValue,
  type Record,
} from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** How long an idempotency key is remembered when the broker names no window. */
export const IDEMPOTENCY_WINDOW_DEFAULT_MS = 60 * 60_000;

/**
 * PROCESS_INSTANCE_CREATION CREATE and CREATE_WITH_AWAITING_RESULT: finds the process, sets the initial variables
 * on the new instance and activates the process element.
 */
export class ProcessInstanceCreationCreateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as ProcessInstanceCreationRecordValue;
    const tenantId = request.tenantId || DEFAULT_TENANT_ID;
    if (answeredAsDuplicate(command, request, tenantId, context)) return;
    const found = findProcess(request, tenantId, context);
    if (typeof found === 'string') {
      context.writers.appendRejection(command, 'NOT_FOUND', found);
      return;
    }
    if (request.startInstructions && request.startInstructions.length > 0) {
      const reason = 'Expected to create instance of process with start instructions, but start instructions are not supported yet';
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', reason);
      return;
    }
    if (!context.processes.get(found.processDefinitionKey).noneStartEvent) {
      const reason = `Expected to create instance of process with none start event, but there is no such event`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    const processInstanceKey = context.state.keys.nextKey();
    const processValue: ProcessInstanceRecordValue = {
      bpmnProcessId: found.bpmnProcessId,
      version: found.version,
      processDefinitionKey: found.processDefinitionKey,
      processInstanceKey,
      elementId: found.bpmnProcessId,
      flowScopeKey: -1n,
      bpmnElementType: 'PROCESS',
      bpmnEventType: 'UNSPECIFIED',
      parentProcessInstanceKey: -1n,
      parentElementInstanceKey: -1n,
      tenantId,
    };
    context.writers.appendCommand(processInstanceKey, 'PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', processValue);
    context.behaviors.variables.mergeLocal(processInstanceKey, request.variables ?? {}, processValue);
    const created: ProcessInstanceCreationRecordValue = {
      bpmnProcessId: found.bpmnProcessId,
      version: found.version,
      processDefinitionKey: found.processDefinitionKey,
      processInstanceKey,
      variables: request.variables ?? {},
      fetchVariables: request.fetchVariables ?? [],
      startInstructions: [],
      tenantId,
    };
    if (request.idempotencyKey) {
      created.idempotencyKey = request.idempotencyKey;
      created.idempotencyKeyExpiresAtMs = command.timestamp + (context.idempotencyWindowMs ?? IDEMPOTENCY_WINDOW_DEFAULT_MS);
    }
    const event = context.writers.appendEvent(processInstanceKey, 'PROCESS_INSTANCE_CREATION', 'CREATED', created);
    if (command.intent === 'CREATE_WITH_AWAITING_RESULT' && command.requestId !== undefined) {
      context.awaitingResults.set(processInstanceKey, {
        requestId: command.requestId,
        requestStreamId: command.requestStreamId ?? 0,
        fetchVariables: request.fetchVariables ?? [],
      });
    } else {
      context.writers.respond(command, event);
    }
  }
}

/**
 * A creation whose idempotency key started an instance within the window is answered with that instance and writes
 * nothing: a replayed Kafka record must not start a second one. A client awaiting the result gets ALREADY_EXISTS,
 * since the first instance's result cannot be awaited again.
 */
function answeredAsDuplicate(command: Record, request: ProcessInstanceCreationRecordValue, tenantId: string, context: ProcessingContext): boolean {
  if (!request.idempotencyKey) return false;
  const original = context.state.idempotency.getCreation(tenantId, request.idempotencyKey);
  if (original === undefined || original.expiresAtMs <= command.timestamp) return false;
  if (command.intent === 'CREATE_WITH_AWAITING_RESULT') {
    const reason = `Expected to create an instance for idempotency key '${request.idempotencyKey}', but instance '${original.processInstanceKey}' was created for it already; its result cannot be awaited again`;
    context.writers.appendRejection(command, 'ALREADY_EXISTS', reason);
    return true;
  }
  const answer: ProcessInstanceCreationRecordValue = {
    bpmnProcessId: original.bpmnProcessId,
    version: original.version,
    processDefinitionKey: original.processDefinitionKey,
    processInstanceKey: original.processInstanceKey,
    variables: request.variables ?? {},
    fetchVariables: request.fetchVariables ?? [],
    startInstructions: [],
    tenantId,
    idempotencyKey: request.idempotencyKey,
    idempotencyKeyExpiresAtMs: original.expiresAtMs,
  };
  context.writers.respond(command, context.writers.unwrittenRecord(original.processInstanceKey, 'PROCESS_INSTANCE_CREATION', 'CREATED', answer));
  return true;
}

function findProcess(request: ProcessInstanceCreationRecordValue, tenantId: string, context: ProcessingContext): ProcessRecordValue | string {
  const processes = context.state.processes;
  const key = request.processDefinitionKey ?? -1n;
  if (key > 0n) {
    const byKey = processes.getProcessByKey(key);
    if (!byKey || byKey.tenantId !== tenantId || processes.isProcessDeleted(key)) return `Expected to find process definition with key '${key}', but none found`;
    return byKey;
  }
  const id = request.bpmnProcessId ?? '';
  if (id === '') return 'Expected at least a bpmnProcessId or a key greater than -1, but none given';
  if (request.version === undefined || request.version < 0) {
    return processes.getLatestProcess(id, tenantId) ?? `Expected to find process definition with process ID '${id}', but none found`;
  }
  return (
    processes.getProcessByVersion(id, request.version, tenantId) ??
    `Expected to find process definition with process ID '${id}' and version '${request.version}', but none found`
  );
}
