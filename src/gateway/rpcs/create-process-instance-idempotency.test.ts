import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { subscriptionPartitionId } from '../../protocol/index.js';
import { GatewayServer } from '../gateway-server.js';
import { FakeBrokerClient } from '../test-support/fake-broker-client.js';
import { rawGatewayClient, type RawGatewayClient } from '../test-support/raw-client.js';
import { IDEMPOTENCY_KEY_HEADER } from './create-process-instance.js';

function callWithMetadata(client: RawGatewayClient, rpc: string, request: object, headers: [string, string][]): Promise<any> {
  const metadata = new Metadata();
  for (const [name, value] of headers) metadata.add(name, value);
  return new Promise((resolve, reject) => {
    client[rpc](request, metadata, (error: ServiceError | null, response: unknown) => (error ? reject(error) : resolve(response)));
  });
}

describe('CreateProcessInstance with an idempotency key', () => {
  const broker = new FakeBrokerClient();
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0 });
  let client: RawGatewayClient;
  const request = { bpmnProcessId: 'order-process', version: -1, variables: '{"total":3}', tenantId: '' };

  beforeAll(async () => {
    client = rawGatewayClient(await server.start());
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => {
    broker.commands.length = 0;
    broker.partitions = [1, 2, 3];
  });

  test('puts the header on the PROCESS_INSTANCE_CREATION command and routes it to the partition the key hashes to', async () => {
    // when
    await callWithMetadata(client, 'CreateProcessInstance', request, [[IDEMPOTENCY_KEY_HEADER, 'orders-0-41:order-process']]);
    await callWithMetadata(client, 'CreateProcessInstance', request, [[IDEMPOTENCY_KEY_HEADER, 'orders-0-41:order-process']]);
    await callWithMetadata(client, 'CreateProcessInstanceWithResult', { request, requestTimeout: '1000', fetchVariables: [] }, [[IDEMPOTENCY_KEY_HEADER, 'orders-0-42:order-process']]).catch(() => undefined);

    // then
    const expectedPartition = subscriptionPartitionId('orders-0-41:order-process', 3);
    expect(broker.commands.map((sent) => [sent.partitionId, sent.command.intent, (sent.command.value as any).idempotencyKey])).toEqual([
      [expectedPartition, 'CREATE', 'orders-0-41:order-process'],
      [expectedPartition, 'CREATE', 'orders-0-41:order-process'],
      [subscriptionPartitionId('orders-0-42:order-process', 3), 'CREATE_WITH_AWAITING_RESULT', 'orders-0-42:order-process'],
    ]);
  });

  test('without the header the command has no key and partitions are used round-robin', async () => {
    // when
    for (let i = 0; i < 3; i++) await callWithMetadata(client, 'CreateProcessInstance', request, []);

    // then
    expect(broker.commands.map((sent) => (sent.command.value as any).idempotencyKey)).toEqual([undefined, undefined, undefined]);
    expect(new Set(broker.commands.map((sent) => sent.partitionId)).size).toBe(3);
  });

  test('an over-long header is INVALID_ARGUMENT, and no command is sent', async () => {
    // when
    const tooLong = await callWithMetadata(client, 'CreateProcessInstance', request, [[IDEMPOTENCY_KEY_HEADER, 'x'.repeat(513)]]).catch((error: ServiceError) => error);

    // then
    expect(tooLong.code).toBe(3);
    expect(tooLong.details).toContain(`Expected at most one '${IDEMPOTENCY_KEY_HEADER}' header of 1 to 512 characters`);
    expect(broker.commands).toEqual([]);
  });
});
