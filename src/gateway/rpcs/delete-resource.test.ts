import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { GatewayServer } from '../gateway-server.js';
import { FakeBrokerClient, rejectionOf } from '../test-support/fake-broker-client.js';
import { officialClient, type ZeebeGrpcClient } from '../test-support/sdk-client.js';

describe('DeleteResource', () => {
  const broker = new FakeBrokerClient();
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0 });
  const answerWithEvent = broker.respond;
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
    broker.respond = answerWithEvent;
  });

  test('sends RESOURCE_DELETION DELETE with the key to the deployment partition', async () => {
    // when
    await zeebe.deleteResource({ resourceKey: '2251799813685251' });
    // then
    expect(broker.commands).toHaveLength(1);
    expect(broker.commands[0].partitionId).toBe(1);
    expect(broker.commands[0].command).toMatchObject({
      valueType: 'RESOURCE_DELETION',
      intent: 'DELETE',
      value: { resourceKey: 2251799813685251n, tenantId: '<default>' },
    });
  });

  test('answers NOT_FOUND when the broker knows no such resource', async () => {
    // given
    const reason = 'Expected to delete resource but no resource found with key `42`';
    broker.respond = (sent) => rejectionOf(sent, 'NOT_FOUND', reason);
    // when
    const error = await zeebe.deleteResource({ resourceKey: '42' }).then(
      () => undefined,
      (failure: { code: number; details: string }) => failure,
    );
    // then
    expect(error?.code).toBe(5);
    expect(error?.details).toContain(reason);
  });
});
