import type { ProcessInstanceModificationRecordValue } from '../../protocol/index.js';
import { DEFAULT_TENANT_ID } from '../../protocol/index.js';
import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import type { EmptyResponse, ModifyProcessInstanceRequest } from '../messages.js';
import { optionalKey, partitionOfKey, requiredKey, variablesDocument } from '../request-fields.js';

/**
 * ModifyProcessInstance -> PROCESS_INSTANCE_MODIFICATION MODIFY on the instance's partition. The engine checks the
 * instructions against the instance and rejects all of them, or applies all of them.
 */
export async function modifyProcessInstance(context: GatewayContext, request: ModifyProcessInstanceRequest): Promise<EmptyResponse> {
  const processInstanceKey = requiredKey(request.processInstanceKey, 'processInstanceKey');
  const partitionId = partitionOfKey(context.broker, processInstanceKey, 'processInstanceKey');
  const value: ProcessInstanceModificationRecordValue = {
    processInstanceKey,
    activateInstructions: (request.activateInstructions ?? []).map((instruction, index) => ({
      elementId: instruction.elementId ?? '',
      ancestorScopeKey: optionalKey(instruction.ancestorElementInstanceKey ?? '-1', `activateInstructions[${index}].ancestorElementInstanceKey`),
      variableInstructions: (instruction.variableInstructions ?? []).map((variables, variablesIndex) => ({
        variables: variablesDocument(variables.variables ?? '', `activateInstructions[${index}].variableInstructions[${variablesIndex}].variables`),
        elementId: variables.scopeId ?? '',
      })),
      ancestorScopeKeys: [],
    })),
    terminateInstructions: (request.terminateInstructions ?? []).map((instruction, index) => ({
      elementInstanceKey: requiredKey(instruction.elementInstanceKey, `terminateInstructions[${index}].elementInstanceKey`),
    })),
    tenantId: DEFAULT_TENANT_ID,
  };
  await executeCommand(context, partitionId, {
    valueType: 'PROCESS_INSTANCE_MODIFICATION',
    intent: 'MODIFY',
    key: processInstanceKey,
    value: asRecordValue(value),
  });
  return {};
}
