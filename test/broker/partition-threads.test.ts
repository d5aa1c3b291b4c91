import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { camundaClient, type ZeebeClient } from '../support/camunda-client.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';
import { processInstanceCompleted } from '../support/exported-records.js';

/**
 * A broker whose two partitions run on two worker threads beside the gateway: commands, jobs, messages between
 * partitions, exporters, metrics and a crash behave as they do with the partitions on the gateway's thread.
 */

let broker: BrokerProcess;
let zeebe: ZeebeClient;

beforeAll(async () => {
  broker = await BrokerProcess.start({ partitions: 2, exportJsonl: true, args: ['--partition-threads', '2'] });
  zeebe = camundaClient(broker);
}, 60_000);

afterAll(async () => {
  await zeebe?.close();
  await broker?.dispose();
});

describe('partitions on worker threads', () => {
  it('runs instances on both partitions, correlates messages across them and exports every record', async () => {
    // given
    await zeebe.deployResource({ process: oneTaskProcess('threads-one-task', 'threads-work'), name: 'threads-one-task.bpmn' });
    await zeebe.deployResource({ process: readFileSync(join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn', 'message-catch.bpmn')), name: 'message-catch.bpmn' });
    zeebe.createWorker({ taskType: 'threads-work', taskHandler: (job) => job.complete({ done: true }) });

    // when: instances on both partitions, and waiting instances whose messages live on either partition
    const results = await Promise.all(Array.from({ length: 6 }, () => zeebe.createProcessInstanceWithResult({ bpmnProcessId: 'threads-one-task', variables: {} })));
    const waiting = await Promise.all(['a-1', 'b-2', 'c-3', 'd-4'].map((orderId) => zeebe.createProcessInstance({ bpmnProcessId: 'message-catch', variables: { orderId } })));
    await Promise.all(['a-1', 'b-2', 'c-3', 'd-4'].map((orderId) => zeebe.publishMessage({ name: 'payment-received', correlationKey: orderId, variables: {}, timeToLive: 60_000 })));

    // then
    expect(new Set(results.map((result) => Number(BigInt(result.processInstanceKey) >> 51n)))).toEqual(new Set([1, 2]));
    expect(results.every((result) => result.variables.done === true)).toBe(true);
    for (const instance of waiting) {
      await eventually(`instance ${instance.processInstanceKey} to complete`, () => processInstanceCompleted(broker.exportedRecords(), instance.processInstanceKey), 15_000);
    }
    const topology = await zeebe.topology();
    expect(topology.brokers).toHaveLength(1);
    expect(topology.brokers[0].partitions.map((partition) => `${partition.partitionId} ${partition.role}`).sort()).toEqual(['1 LEADER', '2 LEADER']);
    const metrics = await eventually('both partitions on /metrics', async () => {
      const { body } = await broker.monitoring('/metrics');
      return body.includes('tributary_state_position{partition="1"}') && body.includes('tributary_state_position{partition="2"}') ? body : undefined;
    });
    expect(metrics.match(/^# TYPE tributary_state_position /gm)).toHaveLength(1);
  });

  it('keeps acknowledged instances through a crash', async () => {
    // given
    const created = await Promise.all(Array.from({ length: 4 }, () => zeebe.createProcessInstance({ bpmnProcessId: 'message-catch', variables: { orderId: 'after-crash' } })));

    // when
    await broker.kill();
    await broker.restart();
    const client = camundaClient(broker, { retry: true });
    try {
      await client.publishMessage({ name: 'payment-received', correlationKey: 'after-crash', variables: {}, timeToLive: 60_000 });

      // then: the message correlates to one of the instances that survived (one message, one instance)
      const completed = await eventually('an instance created before the crash to complete', () =>
        created.find((instance) => processInstanceCompleted(broker.exportedRecords(), instance.processInstanceKey)),
      15_000);
      expect(created.map((instance) => instance.processInstanceKey), broker.outputForError()).toContain(completed.processInstanceKey);
    } finally {
      await client.close();
    }
  });
});

describe('partitions on the gateway\'s thread (--partition-threads 0)', () => {
  it('runs instances on both partitions, as the default threads do', async () => {
    // given
    const alone = await BrokerProcess.start({ partitions: 2, args: ['--partition-threads', '0'] });
    const client = camundaClient(alone);
    try {
      await client.deployResource({ process: oneTaskProcess('no-threads-one-task', 'no-threads-work'), name: 'no-threads-one-task.bpmn' });
      client.createWorker({ taskType: 'no-threads-work', taskHandler: (job) => job.complete({ done: true }) });

      // when
      const results = await Promise.all(Array.from({ length: 4 }, () => client.createProcessInstanceWithResult({ bpmnProcessId: 'no-threads-one-task', variables: {} })));

      // then
      expect(new Set(results.map((result) => Number(BigInt(result.processInstanceKey) >> 51n)))).toEqual(new Set([1, 2]));
      expect(results.every((result) => result.variables.done === true)).toBe(true);
    } finally {
      await client.close();
      await alone.dispose();
    }
  }, 60_000);
});
