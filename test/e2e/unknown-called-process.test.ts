import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { GatewayGrpcClient } from '../support/gateway-grpc.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * A call activity whose static called process is deployed nowhere is rejected at deploy time, on a broker with
 * several partitions too (deployments are all made on the deployment partition, which knows every process); the
 * broker flag or configuration key restores Zeebe's behaviour of an incident at run time.
 */

const FIXTURES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn');

function fixture(name: string): { name: string; content: Buffer } {
  return { name, content: readFileSync(join(FIXTURES, name)) };
}

describe('deploying a call activity of a process deployed nowhere', () => {
  let broker: BrokerProcess | undefined;
  let client: GatewayGrpcClient | undefined;
  const cleanups: (() => void)[] = [];

  afterEach(async () => {
    client?.close();
    await broker?.dispose();
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  test('given a broker with two partitions, then it is INVALID_ARGUMENT naming the call activity, and accepted once the child is deployed', async () => {
    // given
    broker = await BrokerProcess.start({ partitions: 2 });
    client = new GatewayGrpcClient(broker);

    // when
    const alone = await client.call('DeployResource', { resources: [fixture('call-activity-static.bpmn')] });
    const child = await client.call('DeployResource', { resources: [fixture('called-child.bpmn')] });
    const after = await client.call('DeployResource', { resources: [fixture('call-activity-static.bpmn')] });

    // then
    expect(alone).toMatchObject({ ok: false, codeName: 'INVALID_ARGUMENT' });
    expect(alone.ok ? '' : alone.details).toMatch(/'call-activity-static.bpmn':\n- Element: call\n {4}- ERROR: Expected the called process 'called-child' to be deployed/);
    expect(child.ok).toBe(true);
    expect(after).toMatchObject({ ok: true });
  });

  const configFile = () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'broker.yaml');
    writeFileSync(file, 'allowUnknownCalledProcess: true\n');
    return ['--config', file];
  };

  test.each([
    ['the flag --allow-unknown-called-process', () => ['--allow-unknown-called-process']],
    ['allowUnknownCalledProcess in the configuration file', configFile],
  ])('given %s, then it is deployed and the call raises a CALLED_ELEMENT_ERROR incident when it runs', async (_name, args) => {
    // given
    broker = await BrokerProcess.start({ exportJsonl: true, args: args() });
    client = new GatewayGrpcClient(broker);

    // when
    const deployed = await client.call('DeployResource', { resources: [fixture('call-activity-static.bpmn')] });
    const created = await client.call('CreateProcessInstance', { bpmnProcessId: 'call-activity-static', version: -1, variables: '{}' });

    // then
    expect(deployed).toMatchObject({ ok: true });
    expect(created).toMatchObject({ ok: true });
    await expect
      .poll(() => broker!.exportedRecords().find((record) => record.valueType === 'INCIDENT' && record.intent === 'CREATED')?.value)
      .toMatchObject({ errorType: 'CALLED_ELEMENT_ERROR', elementId: 'call' });
  });
});
