import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BROKER_CONFIG_DEFAULTS } from '../../src/broker/broker-config.js';
import { GatewayClient } from '../../src/cli/gateway-client.js';
import { partitionIdOf } from '../../src/protocol/index.js';
import { FIXTURES } from '../engine/engine-harness.js';
import { tempDir } from '../support/temp-dir.js';

const quiet = { info: () => {}, error: () => {} };

describe('a broker with several partitions', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('given a deployment, when instances are created round-robin, then every partition runs them and they complete', async () => {
    // given a broker with 3 partitions and one deployment
    const dir = tempDir();
    cleanups.push(dir.remove);
    const broker = new Broker({ ...BROKER_CONFIG_DEFAULTS, dataDirectory: join(dir.path, 'data'), host: '127.0.0.1', gatewayPort: 0, monitoringPort: 0, partitionCount: 3 }, quiet);
    await broker.start();
    cleanups.push(() => broker.stop());
    const client = new GatewayClient(`127.0.0.1:${broker.gatewayPort}`);
    cleanups.push(() => client.close());
    const resource = readFileSync(join(FIXTURES, 'one-task.bpmn'));
    await client.call('DeployResource', { resources: [{ name: 'one-task.bpmn', content: resource }], tenantId: '' });

    // when six instances are created
    const created: any[] = [];
    for (let i = 0; i < 6; i++) created.push(await client.call<any>('CreateProcessInstance', { bpmnProcessId: 'one-task', version: -1, variables: '{}', tenantId: '' }));

    // then they are spread over every partition, all with the deployed process key
    expect(new Set(created.map((response) => partitionIdOf(BigInt(response.processInstanceKey))))).toEqual(new Set([1, 2, 3]));
    expect(new Set(created.map((response) => response.processDefinitionKey)).size).toBe(1);
    // and their jobs can be activated and completed on every partition
    let completed = 0;
    for (let attempt = 0; attempt < 20 && completed < 6; attempt++) {
      const responses = await client.collect<any>('ActivateJobs', { type: 'work', worker: 't', timeout: '60000', maxJobsToActivate: 10, fetchVariable: [], requestTimeout: '1000', tenantIds: [] }, 15_000);
      for (const job of responses.flatMap((response) => response.jobs)) {
        await client.call('CompleteJob', { jobKey: job.key, variables: '{}' });
        completed++;
      }
    }
    expect(completed).toBe(6);
  });
});
