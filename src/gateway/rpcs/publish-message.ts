import { subscriptionPartitionId, type MessageRecordValue } from '../../protocol/index.js';
import type { BrokerClient } from '../broker-client.js';
import { asRecordValue, executeCommand, type GatewayContext } from '../gateway-context.js';
import { invalidArgument } from '../grpc-errors.js';
import type { Int64 } from '../messages.js';
import { durationMs, tenantIdOrDefault, variablesDocument } from '../request-fields.js';

export interface PublishMessageRequest {
  name: string;
  correlationKey: string;
  timeToLive: Int64;
  messageId: string;
  variables: string;
  tenantId: string;
}

export interface PublishMessageResponse {
  key: Int64;
  tenantId: string;
}

/**
 * PublishMessage -> MESSAGE PUBLISH on the partition the correlation key hashes to (Zeebe's routing), so every
 * message with one correlation key, and every subscription waiting for it, meets on one partition.
 */
export async function publishMessage(context: GatewayContext, request: PublishMessageRequest): Promise<PublishMessageResponse> {
  if (request.name.length === 0) throw invalidArgument('Expected to publish a message with a name, but the name was empty', { field: 'name' });
  const tenantId = tenantIdOrDefault(request.tenantId);
  const value: MessageRecordValue = {
    name: request.name,
    correlationKey: request.correlationKey,
    timeToLive: Math.max(0, durationMs(request.timeToLive || '0', 'timeToLive')),
    messageId: request.messageId,
    variables: variablesDocument(request.variables),
    deadline: -1,
    tenantId,
  };
  const partitionId = messagePartition(context.broker, request.correlationKey);
  const record = await executeCommand(context, partitionId, { valueType: 'MESSAGE', intent: 'PUBLISH', key: -1n, value: asRecordValue(value) });
  return { key: record.key.toString(), tenantId };
}

/** The partition of a correlation key: Zeebe's hash over the partitions, numbered from 1 in order. */
export function messagePartition(broker: BrokerClient, correlationKey: string): number {
  const partitionIds = [...broker.partitionIds()].sort((a, b) => a - b);
  return partitionIds[subscriptionPartitionId(correlationKey, partitionIds.length) - 1];
}
