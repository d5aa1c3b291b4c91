import { DEFAULT_TENANT_ID, NO_KEY, type VariableDocumentRecordValue } from '../../protocol/index.js';
import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import type { SetVariablesRequest, SetVariablesResponse } from '../messages.js';
import { partitionOfKey, requiredKey, variablesDocument } from '../request-fields.js';

/**
 * SetVariables -> VARIABLE_DOCUMENT UPDATE on the scope's partition. The command has no key of its own (the scope
 * goes in the value); the response's key is the key the engine gave the UPDATED record.
 */
export async function setVariables(context: GatewayContext, request: SetVariablesRequest): Promise<SetVariablesResponse> {
  const scopeKey = requiredKey(request.elementInstanceKey, 'elementInstanceKey');
  const partitionId = partitionOfKey(context.broker, scopeKey, 'elementInstanceKey');
  const value: VariableDocumentRecordValue = {
    scopeKey,
    updateSemantics: request.local ? 'LOCAL' : 'PROPAGATE',
    variables: variablesDocument(request.variables),
    tenantId: DEFAULT_TENANT_ID,
  };
  const record = await executeCommand(context, partitionId, {
    valueType: 'VARIABLE_DOCUMENT',
    intent: 'UPDATE',
    key: NO_KEY,
    value: asRecordValue(value),
  });
  return { key: record.key.toString() };
}
