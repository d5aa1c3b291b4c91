import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { camundaClient, type ZeebeClient } from '../support/camunda-client.js';
import { processInstanceCompleted } from '../support/exported-records.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/** Messages, timers and error events through the official SDK against a real broker process. */

const FIXTURES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn');

function fixture(name: string): { name: string; process: Buffer } {
  return { name, process: readFileSync(join(FIXTURES, name)) };
}

describe('@camunda8/sdk: messages, timers and errors', () => {
  let broker: BrokerProcess;
  let zbc: ZeebeClient;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ exportJsonl: true });
  });
  afterAll(async () => {
    await broker?.dispose();
  });
  beforeEach(() => {
    zbc = camundaClient(broker);
  });
  afterEach(async () => {
    await zbc?.close();
  });

  function completed(processInstanceKey: string) {
    return eventually(`process instance ${processInstanceKey} to complete`, () => processInstanceCompleted(broker.exportedRecords(), processInstanceKey));
  }

  test('messages published with publishMessage correlate to the instances waiting for their correlation keys', async () => {
    // given instances each waiting for their own order's payment
    await zbc.deployResource(fixture('message-catch.bpmn'));
    const orderIds = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6'];
    const instances = await Promise.all(orderIds.map((orderId) => zbc.createProcessInstance({ bpmnProcessId: 'message-catch', variables: { orderId } })));
    // when
    for (const orderId of orderIds) await zbc.publishMessage({ name: 'payment-received', correlationKey: orderId, variables: { paid: orderId } });
    // then
    for (const instance of instances) await completed(instance.processInstanceKey);
  });

  test('a message published before the instance waits is buffered for its time to live; a duplicate id is refused', async () => {
    await zbc.deployResource(fixture('message-catch.bpmn'));
    await zbc.publishMessage({ name: 'payment-received', correlationKey: 'early', messageId: 'early-1', timeToLive: 60_000, variables: {} });
    const duplicate = await zbc
      .publishMessage({ name: 'payment-received', correlationKey: 'early', messageId: 'early-1', timeToLive: 60_000, variables: {} })
      .then(() => undefined, (error: { code: number }) => error);
    expect(duplicate?.code).toBe(6);
    const result = await zbc.createProcessInstanceWithResult({ bpmnProcessId: 'message-catch', variables: { orderId: 'early' }, requestTimeout: 10_000 });
    expect(result.variables).toMatchObject({ orderId: 'early' });
  });

  test('a timer catch event fires on time', async () => {
    await zbc.deployResource(fixture('timer-catch-short.bpmn'));
    const startedMs = Date.now();
    await zbc.createProcessInstanceWithResult({ bpmnProcessId: 'timer-catch-short', variables: {}, requestTimeout: 10_000 });
    const elapsedMs = Date.now() - startedMs;
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
    expect(elapsedMs).toBeLessThan(1_500);
  });

  test('an error thrown by a worker is caught by the error boundary event', async () => {
    await zbc.deployResource(fixture('error-boundary.bpmn'));
    zbc.createWorker({ taskType: 'work', taskHandler: (job) => job.error({ errorCode: 'NOT_FOUND', errorMessage: 'gone', variables: { reason: 'gone' } }) });
    const result = await zbc.createProcessInstanceWithResult({ bpmnProcessId: 'error-boundary', variables: {}, requestTimeout: 10_000 });
    expect(result.variables).toMatchObject({ reason: 'gone' });
  });
});

describe('@camunda8/sdk: process instance modification', () => {
  let broker: BrokerProcess;
  let zbc: ZeebeClient;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ exportJsonl: true });
  });
  afterAll(async () => {
    await broker?.dispose();
  });
  beforeEach(() => {
    zbc = camundaClient(broker);
  });
  afterEach(async () => {
    await zbc?.close();
  });

  test('modifyProcessInstance moves the token from a task to a later one, with variables; bad instructions are refused', async () => {
    // given an instance whose first task is stuck
    await zbc.deployResource(fixture('modification.bpmn'));
    const instance = await zbc.createProcessInstance({ bpmnProcessId: 'modification', variables: { orderId: 'm-1', items: ['x'] } });
    const [stuck] = await zbc.activateJobs({ type: 'a', worker: 'sdk-test', maxJobsToActivate: 1, timeout: 30_000, requestTimeout: 5_000 });
    // when the token moves from A to C
    await zbc.modifyProcessInstance({
      processInstanceKey: instance.processInstanceKey,
      activateInstructions: [{ elementId: 'C', ancestorElementInstanceKey: '-1', variableInstructions: [{ scopeId: '', variables: { moved: true } }] }],
      terminateInstructions: [{ elementInstanceKey: stuck.elementInstanceKey }],
    });
    // then the rest of the process runs to its end, with the variable set by the modification
    const seen: unknown[] = [];
    for (const taskType of ['c', 'd', 'e']) {
      zbc.createWorker({ taskType, taskHandler: (job) => (seen.push(job.variables.moved), job.complete()) });
    }
    await eventually(`process instance ${instance.processInstanceKey} to complete`, () =>
      processInstanceCompleted(broker.exportedRecords(), instance.processInstanceKey),
    );
    expect(seen).toEqual([true, true, true]);
    const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: { code: number; details: string }) => error);
    const afterCompletion = await failure(
      zbc.modifyProcessInstance({ processInstanceKey: instance.processInstanceKey, activateInstructions: [{ elementId: 'nope', ancestorElementInstanceKey: '-1', variableInstructions: [] }] }),
    );
    expect(afterCompletion?.code).toBe(5);
    const other = await zbc.createProcessInstance({ bpmnProcessId: 'modification', variables: { orderId: 'm-2', items: [] } });
    const invalid = await failure(
      zbc.modifyProcessInstance({ processInstanceKey: other.processInstanceKey, activateInstructions: [{ elementId: 'E', ancestorElementInstanceKey: '-1', variableInstructions: [] }] }),
    );
    expect(invalid).toMatchObject({ code: 3 });
    expect(invalid?.details).toContain("nested in a multi-instance activity: 'E'");
  });
});

describe('@camunda8/sdk: timers survive a restart', () => {
  test('a timer created before the broker stopped fires after it restarted', async () => {
    const broker = await BrokerProcess.start({ exportJsonl: true });
    try {
      let zbc = camundaClient(broker);
      const xml = readFileSync(join(FIXTURES, 'timer-catch.bpmn'), 'utf8').replace('PT10S', 'PT2S').replace('id="timer-catch"', 'id="timer-restart"');
      await zbc.deployResource({ name: 'timer-restart.bpmn', process: Buffer.from(xml) });
      const { processInstanceKey } = await zbc.createProcessInstance({ bpmnProcessId: 'timer-restart', variables: {} });
      await zbc.close();
      await broker.stop();
      await broker.restart();
      zbc = camundaClient(broker);
      await eventually(`process instance ${processInstanceKey} to complete`, () => processInstanceCompleted(broker.exportedRecords(), processInstanceKey));
      await zbc.close();
    } finally {
      await broker.dispose();
    }
  });
});
