import {
  DEFAULT_TENANT_ID,
  type ProcessInstanceCreationRecordValue,
  type ProcessInstanceRecordValue,
  type ProcessRecordValue,
  type Record,
} from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * PROCESS_INSTANCE_CREATION CREATE and CREATE_WITH_AWAITING_RESULT: finds the process, sets the initial variables
 * on the new instance and activates the process element.
 */
export class ProcessInstanceCreationCreateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as ProcessInstanceCreationRecordValue;
    const tenantId = request.tenantId || DEFAULT_TENANT_ID;
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
