import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import { processInstanceCommandValue } from '../command-values.js';
import type { CancelProcessInstanceRequest, EmptyResponse } from '../messages.js';
import { partitionOfKey, requiredKey } from '../request-fields.js';

/** CancelProcessInstance -> PROCESS_INSTANCE CANCEL with the instance's key, on the instance's partition. */
export async function cancelProcessInstance(context: GatewayContext, request: CancelProcessInstanceRequest): Promise<EmptyResponse> {
  const processInstanceKey = requiredKey(request.processInstanceKey, 'processInstanceKey');
  const partitionId = partitionOfKey(context.broker, processInstanceKey, 'processInstanceKey');
  await executeCommand(context, partitionId, {
    valueType: 'PROCESS_INSTANCE',
    intent: 'CANCEL',
    key: processInstanceKey,
    value: asRecordValue(processInstanceCommandValue(processInstanceKey)),
  });
  return {};
}
