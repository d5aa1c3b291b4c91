import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/broker/broker-config.js';
import { GatewayClient } from '../../src/cli/gateway-client.js';
import { partitionIdOf, subscriptionPartitionId, type MessageStartEventSubscriptionRecordValue } from '../../src/protocol/index.js';
import { EngineState } from '../../src/state/domain/index.js';
import { StateStore } from '../../src/state/index.js';
import { FIXTURES } from '../engine/engine-harness.js';
import { tempDir } from '../support/temp-dir.js';

const quiet = { info: () => {}, error: () => {} };
const PARTITION_COUNT = 2;

/**
 * Builds before message start events opened on every partition left a deployed process without its message start
 * subscription on partitions other than the deployment partition. Such a state is made here by removing the
 * subscription from partition 2's state while the broker is down, as an older build would have left it.
 */
async function dropMessageStartSubscriptions(partitionDirectory: string, partitionId: number): Promise<number> {
  const store = await StateStore.open({ directory: join(partitionDirectory, 'state'), nowMs: () => Date.now() });
  const state = new EngineState(store, partitionId);
  const dropped: MessageStartEventSubscriptionRecordValue[] = [];
  state.subscriptions.forEachMessageStartSubscription('<default>', 'order-placed', (subscription) => {
    dropped.push(subscription);
  });
  for (const subscription of dropped) state.subscriptions.removeMessageStartSubscription(subscription);
  // The edit needs a position of its own; the log goes on after it, as after any position the state covers.
  store.commitTransaction(store.position + 1);
  await store.persist(store.position);
  await store.close();
  return dropped.length;
}

describe('message start subscriptions missing after an upgrade', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startBroker(config: BrokerConfig): Promise<{ broker: Broker; client: GatewayClient }> {
    const broker = new Broker(config, quiet);
    await broker.start();
    const client = new GatewayClient(`127.0.0.1:${broker.gatewayPort}`);
    return { broker, client };
  }

  it('given partition 2 without the subscription of a deployed message start event, when the broker restarts, then a message published on partition 2 starts an instance', async () => {
    // given a deployment of a message start event on a broker with two partitions
    const dir = tempDir();
    cleanups.push(dir.remove);
    const dataDirectory = join(dir.path, 'data');
    const config = { ...BROKER_CONFIG_DEFAULTS, dataDirectory, host: '127.0.0.1', gatewayPort: 0, monitoringPort: 0, partitionCount: PARTITION_COUNT };
    const first = await startBroker(config);
    const resource = readFileSync(join(FIXTURES, 'message-start.bpmn'));
    await first.client.call('DeployResource', { resources: [{ name: 'message-start.bpmn', content: resource }], tenantId: '' });
    await waitForDistribution(first.client);
    first.client.close();
    await first.broker.stop();
    // and partition 2 left as an older build would have left it
    expect(await dropMessageStartSubscriptions(join(dataDirectory, 'partitions', '2'), 2)).toBe(1);

    // when the broker restarts and a message is published on partition 2
    const second = await startBroker(config);
    cleanups.push(() => second.broker.stop());
    cleanups.push(() => second.client.close());
    await publishOnPartition2(second.client, 'after-restart');

    // then an instance started there: its job can be activated
    let jobs: any[] = [];
    for (let attempt = 0; attempt < 10 && jobs.length === 0; attempt++) jobs = await activateWork(second.client);
    expect(jobs.map((job) => partitionIdOf(BigInt(job.processInstanceKey)))).toEqual([2]);
  });
});

/** Partition 2 opens its subscription when the deployment reaches it: a message published there starts an instance. */
async function waitForDistribution(client: GatewayClient): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    await publishOnPartition2(client, `before-${attempt}`);
    const jobs = await activateWork(client);
    if (jobs.length > 0) return;
  }
  throw new Error('Expected the deployment to reach partition 2');
}

/** Publishes the start message with a correlation key that hashes to partition 2, so it is published there. */
async function publishOnPartition2(client: GatewayClient, prefix: string): Promise<void> {
  let correlationKey = prefix;
  for (let suffix = 0; subscriptionPartitionId(correlationKey, PARTITION_COUNT) !== 2; suffix++) correlationKey = `${prefix}-${suffix}`;
  await client.call('PublishMessage', { name: 'order-placed', correlationKey, timeToLive: '0', messageId: '', variables: '{}', tenantId: '' });
}

async function activateWork(client: GatewayClient): Promise<any[]> {
  const responses = await client.collect<any>('ActivateJobs', { type: 'work', worker: 't', timeout: '60000', maxJobsToActivate: 10, fetchVariable: [], requestTimeout: '500', tenantIds: [] }, 15_000);
  return responses.flatMap((response) => response.jobs);
}
