import type { Record, SignalRecordValue } from '../../protocol/index.js';
import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import { invalidArgument } from '../grpc-errors.js';
import type { Int64 } from '../messages.js';
import { tenantIdOrDefault, variablesDocument } from '../request-fields.js';

export interface BroadcastSignalRequest {
  signalName: string;
  variables: string;
  tenantId: string;
}

export interface BroadcastSignalResponse {
  key: Int64;
  tenantId: string;
}

/**
 * BroadcastSignal -> SIGNAL BROADCAST on every partition: a signal reaches every subscription, wherever its
 * process instance lives. Answered with the key the first partition gave the signal.
 */
export async function broadcastSignal(context: GatewayContext, request: BroadcastSignalRequest): Promise<BroadcastSignalResponse> {
  if (request.signalName.length === 0) {
    throw invalidArgument('Expected to broadcast a signal with a name, but the name was empty', { field: 'signalName' });
  }
  const tenantId = tenantIdOrDefault(request.tenantId);
  const value: SignalRecordValue = { signalName: request.signalName, variables: variablesDocument(request.variables), tenantId };
  const partitionIds = [...context.broker.partitionIds()].sort((a, b) => a - b);
  const records: Record[] = await Promise.all(
    partitionIds.map((partitionId) =>
      executeCommand(context, partitionId, { valueType: 'SIGNAL', intent: 'BROADCAST', key: -1n, value: asRecordValue(value) }),
    ),
  );
  return { key: records[0].key.toString(), tenantId };
}
