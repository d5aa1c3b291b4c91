import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { subscriptionPartitionId } from '../../protocol/index.js';
import { GatewayServer } from '../gateway-server.js';
import { FakeBrokerClient, rejectionOf } from '../test-support/fake-broker-client.js';
import { officialClient, type ZeebeGrpcClient } from '../test-support/sdk-client.js';

describe('PublishMessage and BroadcastSignal', () => {
  const broker = new FakeBrokerClient();
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0 });
  let zeebe: ZeebeGrpcClient;

  beforeAll(async () => {
    zeebe = officialClient(await server.start());
  });
  afterAll(async () => {
    await zeebe.close();
    await server.stop();
  });
  beforeEach(() => {
    broker.commands.length = 0;
    broker.partitions = [1, 2, 3];
  });

  test('sends MESSAGE PUBLISH to the partition the correlation key hashes to, as Zeebe routes it', async () => {
    // when
    const response = await zeebe.publishMessage({ name: 'paid', correlationKey: 'order-123', variables: { amount: 3 }, timeToLive: 60_000, messageId: 'm-1' });
    // then
    const [sent] = broker.commands;
    expect(sent.partitionId).toBe(subscriptionPartitionId('order-123', 3));
    expect(sent.command).toMatchObject({ valueType: 'MESSAGE', intent: 'PUBLISH' });
    expect(sent.command.value).toMatchObject({ name: 'paid', correlationKey: 'order-123', timeToLive: 60_000, messageId: 'm-1', variables: { amount: 3 } });
    expect(BigInt(response.key) >= 0n).toBe(true);
  });

  test('BroadcastSignal sends SIGNAL BROADCAST to every partition', async () => {
    const response = await zeebe.broadcastSignal({ signalName: 'stop', variables: { reason: 'test' } });
    expect(broker.commands.map((sent) => [sent.partitionId, sent.command.valueType, sent.command.intent])).toEqual([
      [1, 'SIGNAL', 'BROADCAST'],
      [2, 'SIGNAL', 'BROADCAST'],
      [3, 'SIGNAL', 'BROADCAST'],
    ]);
    expect(broker.commands[0].command.value).toMatchObject({ signalName: 'stop', variables: { reason: 'test' } });
    expect(BigInt(response.key) >= 0n).toBe(true);
  });

  test('answers ALREADY_EXISTS when the engine rejects a duplicate message id', async () => {
    broker.respond = (sent) => rejectionOf(sent, 'ALREADY_EXISTS', "Expected to publish a new message with id 'm-1', but a message with that id was already published");
    const error = await zeebe.publishMessage({ name: 'paid', correlationKey: 'order-1', variables: {}, messageId: 'm-1' }).then(
      () => undefined,
      (caught: { code: number; details: string }) => caught,
    );
    expect(error?.code).toBe(6);
    expect(error?.details).toContain("a message with that id was already published");
  });
});
