import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, delay, eventually } from '../support/broker-process.js';
import { camundaClient, streamCompletingJobs, type ZeebeClient } from '../support/camunda-client.js';
import { incidentEvents, processInstanceCompleted, processInstanceTerminated, sameKey } from '../support/exported-records.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/**
 * The official Camunda 8 Node SDK (@camunda8/sdk, its Zeebe gRPC client and job workers) drives a real broker
 * process unchanged: what a Camunda 8 user's code does must work against Tributary.
 */

const FIXTURES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn');

describe('@camunda8/sdk against a broker process', () => {
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

  async function deploy(processId: string, jobType: string, retries = 3): Promise<void> {
    await zbc.deployResource({ name: `${processId}.bpmn`, process: oneTaskProcess(processId, jobType, retries) });
  }

  function completed(processInstanceKey: string) {
    return eventually(`process instance ${processInstanceKey} to complete`, () =>
      processInstanceCompleted(broker.exportedRecords(), processInstanceKey),
    );
  }

  test('topology shows one healthy broker leading its partition', async () => {
    // when
    const topology = await zbc.topology();

    // then
    expect(topology).toMatchObject({ clusterSize: 1, partitionsCount: 1, replicationFactor: 1 });
    expect(topology.brokers).toHaveLength(1);
    expect(topology.brokers[0]).toMatchObject({
      nodeId: 0,
      host: '127.0.0.1',
      partitions: [{ partitionId: 1, role: 'LEADER', health: 'HEALTHY' }],
    });
  });

  test('topology advertises the gateway port the broker bound (started with --port 0)', async () => {
    // when
    const topology = await zbc.topology();

    // then
    expect(topology.brokers[0].port).toBe(broker.gatewayPort);
  });

  test('deploys the Modeler-made order process and a one-task process in one deployment', async () => {
    // when
    const response = await zbc.deployResources([
      { name: 'order-process.bpmn', process: readFileSync(join(FIXTURES, 'order-process.bpmn')) },
      { name: 'one-task.bpmn', process: readFileSync(join(FIXTURES, 'one-task.bpmn')) },
    ]);

    // then
    const processes = response.deployments.map((deployment: any) => deployment.process);
    expect(processes).toEqual([
      expect.objectContaining({ bpmnProcessId: 'order-process', version: 1, resourceName: 'order-process.bpmn', tenantId: '<default>' }),
      expect.objectContaining({ bpmnProcessId: 'one-task', version: 1, resourceName: 'one-task.bpmn', tenantId: '<default>' }),
    ]);
    expect(processes[0].processDefinitionKey).toMatch(/^\d+$/);
    expect(processes[0].processDefinitionKey).not.toBe(processes[1].processDefinitionKey);
  });

  test('an order is paid, shipped and confirmed by SDK workers; the result carries the mapped variables', async () => {
    // given
    await zbc.deployResource({ name: 'order-process.bpmn', process: readFileSync(join(FIXTURES, 'order-process.bpmn')) });
    const seen: { [type: string]: { variables: any; customHeaders: any; retries: number } } = {};
    zbc.createWorker({
      taskType: 'payment-service',
      taskHandler: (job) => {
        seen.payment = { variables: job.variables, customHeaders: job.customHeaders, retries: job.retries };
        return job.complete({ paymentStatus: 'PAID', transactionId: 'tx-1' });
      },
    });
    zbc.createWorker({
      taskType: 'shipping',
      taskHandler: (job) => {
        seen.shipping = { variables: job.variables, customHeaders: job.customHeaders, retries: job.retries };
        return job.complete({ trackingNumber: 'T-1' });
      },
    });
    zbc.createWorker({ taskType: 'notification-email', taskHandler: (job) => job.complete({ confirmationSent: true }) });

    // when
    const result = await zbc.createProcessInstanceWithResult({
      bpmnProcessId: 'order-process',
      variables: { orderId: 'o-1', order: { total: 42 }, shippingRetries: 7, channel: 'email' },
      requestTimeout: 20_000,
    });

    // then the payment job saw its input mappings and headers, the shipping job its retries expression
    expect(seen.payment.variables).toMatchObject({ amount: 42, reference: 'o-1' });
    expect(seen.payment.customHeaders).toEqual({ method: 'credit-card', currency: 'EUR' });
    expect(seen.payment.retries).toBe(5);
    expect(seen.shipping.retries).toBe(7);
    // and only the output mappings of the payment task reached the process; both parallel branches joined
    expect(result.bpmnProcessId).toBe('order-process');
    expect(result.variables).toEqual({
      orderId: 'o-1',
      order: { total: 42, transactionId: 'tx-1' },
      shippingRetries: 7,
      channel: 'email',
      paymentStatus: 'PAID',
      trackingNumber: 'T-1',
      confirmationSent: true,
    });
    // The exporter writes records after the response: wait until the end event's record is exported.
    const reachedEnd = await eventually('the Event_0shipped ELEMENT_COMPLETED record', () =>
      broker
        .exportedRecords()
        .find(
          (record) =>
            record.valueType === 'PROCESS_INSTANCE' &&
            record.intent === 'ELEMENT_COMPLETED' &&
            record.value.elementId === 'Event_0shipped' &&
            sameKey(record.value.processInstanceKey, result.processInstanceKey),
        ),
    );
    expect(reachedEnd).toBeDefined();
  });

  test.each([
    { paymentStatus: 'DECLINED', attempts: 3, endEvent: 'Event_1declined' },
    { paymentStatus: 'PENDING', attempts: 1, endEvent: 'Event_0review' },
  ])('an order whose payment is $paymentStatus ends at $endEvent without shipping', async ({ paymentStatus, attempts, endEvent }) => {
    // given
    await zbc.deployResource({ name: 'order-process.bpmn', process: readFileSync(join(FIXTURES, 'order-process.bpmn')) });
    zbc.createWorker({ taskType: 'payment-service', taskHandler: (job) => job.complete({ paymentStatus }) });

    // when
    const result = await zbc.createProcessInstanceWithResult({
      bpmnProcessId: 'order-process',
      variables: { orderId: 'o-2', order: { total: 10 }, attempts, shippingRetries: 3, channel: 'sms' },
      requestTimeout: 20_000,
    });

    // then
    expect(result.variables).toMatchObject({ paymentStatus, attempts });
    await eventually('the instance\'s completion to be exported', () => processInstanceCompleted(broker.exportedRecords(), result.processInstanceKey));
    const path = broker
      .exportedRecords()
      .filter((record) => record.valueType === 'PROCESS_INSTANCE' && record.intent === 'ELEMENT_COMPLETED' && sameKey(record.value.processInstanceKey, result.processInstanceKey))
      .map((record) => record.value.elementId);
    expect(path).toContain(endEvent);
    expect(path).not.toContain('ship-goods');
  });

  test('createProcessInstanceWithResult returns the variables the worker completed with, limited by fetchVariables', async () => {
    // given
    await deploy('sdk-with-result', 'sdk-with-result');
    zbc.createWorker({ taskType: 'sdk-with-result', taskHandler: (job) => job.complete({ total: Number(job.variables.a) * 2 }) });

    // when
    const all = await zbc.createProcessInstanceWithResult({ bpmnProcessId: 'sdk-with-result', variables: { a: 21 }, requestTimeout: 10_000 });
    const some = await zbc.createProcessInstanceWithResult({ bpmnProcessId: 'sdk-with-result', variables: { a: 5 }, requestTimeout: 10_000, fetchVariables: ['total'] });

    // then
    expect(all.variables).toEqual({ a: 21, total: 42 });
    expect(some.variables).toEqual({ total: 10 });
    expect(all.processInstanceKey).not.toBe(some.processInstanceKey);
  });

  test('a job failed with no retries left raises an incident; updating its retries and resolving it completes the instance', async () => {
    // given a worker that fails the first job without retries, then completes
    await deploy('sdk-incident', 'sdk-flaky', 3);
    let calls = 0;
    zbc.createWorker({
      taskType: 'sdk-flaky',
      taskHandler: (job) => {
        calls++;
        if (calls === 1) return job.fail({ errorMessage: 'card service down', retries: 0 });
        return job.complete({ charged: true });
      },
    });
    const { processInstanceKey } = await zbc.createProcessInstance({ bpmnProcessId: 'sdk-incident', variables: {} });

    // when the incident shows up in the exported records
    const incident = await eventually('an INCIDENT CREATED record', () => incidentEvents(broker.exportedRecords(), processInstanceKey, 'CREATED')[0]);
    expect(incident.value).toMatchObject({ errorType: 'JOB_NO_RETRIES', errorMessage: 'card service down', elementId: 'task' });
    expect(processInstanceCompleted(broker.exportedRecords(), processInstanceKey)).toBeUndefined();
    await zbc.updateJobRetries({ jobKey: String(incident.value.jobKey), retries: 1 });
    await zbc.resolveIncident({ incidentKey: String(incident.key) });

    // then
    await completed(processInstanceKey);
    expect(calls).toBe(2);
    expect(incidentEvents(broker.exportedRecords(), processInstanceKey, 'RESOLVED')).toHaveLength(1);
  });

  test('a business error thrown by a worker with no catch event raises an incident', async () => {
    // given
    await deploy('sdk-throw', 'sdk-throw');
    zbc.createWorker({ taskType: 'sdk-throw', taskHandler: (job) => job.error({ errorCode: 'NO_STOCK', errorMessage: 'nothing left', variables: {} }) });

    // when
    const { processInstanceKey } = await zbc.createProcessInstance({ bpmnProcessId: 'sdk-throw', variables: {} });

    // then
    const incident = await eventually('an INCIDENT CREATED record', () => incidentEvents(broker.exportedRecords(), processInstanceKey, 'CREATED')[0]);
    expect(incident.value.errorType).toBe('UNHANDLED_ERROR_EVENT');
    expect(incident.value.errorMessage).toContain('NO_STOCK');
    expect(processInstanceCompleted(broker.exportedRecords(), processInstanceKey)).toBeUndefined();
  });

  test('setVariables on the instance is visible to the job activated afterwards', async () => {
    // given
    await deploy('sdk-set-variables', 'sdk-set-variables');
    const { processInstanceKey } = await zbc.createProcessInstance({ bpmnProcessId: 'sdk-set-variables', variables: { a: 1 } });

    // when
    await zbc.setVariables({ elementInstanceKey: processInstanceKey, variables: { a: 10, b: 'two' }, local: false });
    const jobs = await zbc.activateJobs({ type: 'sdk-set-variables', worker: 'sdk-test', maxJobsToActivate: 1, timeout: 30_000, requestTimeout: 5_000 });

    // then
    expect(jobs).toHaveLength(1);
    expect(jobs[0].processInstanceKey).toBe(processInstanceKey);
    expect(jobs[0].variables).toEqual({ a: 10, b: 'two' });
  });

  test('cancelProcessInstance terminates the instance and takes its job away', async () => {
    // given
    await deploy('sdk-cancel', 'sdk-cancel');
    const { processInstanceKey } = await zbc.createProcessInstance({ bpmnProcessId: 'sdk-cancel', variables: {} });

    // when
    await zbc.cancelProcessInstance(processInstanceKey);

    // then
    await eventually('the instance to be terminated', () => processInstanceTerminated(broker.exportedRecords(), processInstanceKey));
    const jobs = await zbc.activateJobs({ type: 'sdk-cancel', worker: 'sdk-test', maxJobsToActivate: 1, timeout: 30_000, requestTimeout: -1 });
    expect(jobs).toEqual([]);
    await expect(zbc.cancelProcessInstance(processInstanceKey)).rejects.toMatchObject({ code: 5 });
  });

  test('two workers of one type share 40 instances and neither is starved', async () => {
    // given two workers that each take a few jobs at a time
    await deploy('sdk-shared', 'sdk-shared');
    const completedBy = { first: 0, second: 0 };
    const instances = new Set<string>();
    for (const name of ['first', 'second'] as const) {
      zbc.createWorker({
        taskType: 'sdk-shared',
        maxJobsToActivate: 4,
        taskHandler: async (job) => {
          await delay(20);
          completedBy[name]++;
          instances.add(job.processInstanceKey);
          return job.complete();
        },
      });
    }
    await delay(300);

    // when
    await Promise.all(Array.from({ length: 40 }, () => zbc.createProcessInstance({ bpmnProcessId: 'sdk-shared', variables: {} })));

    // then
    await eventually('40 instances to have their jobs completed', () => instances.size === 40, 20_000);
    expect(completedBy.first).toBeGreaterThan(0);
    expect(completedBy.second).toBeGreaterThan(0);
    expect(completedBy.first + completedBy.second).toBe(40);
  });

  test('a job stream worker gets jobs pushed as they are created', async () => {
    // given an open stream, after its one catch-up poll, with no recurring polls
    await deploy('sdk-stream', 'sdk-stream');
    const stream = await streamCompletingJobs(zbc, 'sdk-stream', { variables: { streamed: true } });
    const { pushed } = stream;
    try {
      // The SDK opens the stream on a connection of its own and resolves without waiting for the gateway to register
      // it; a moment's grace keeps this test about pushing rather than about that race.
      await delay(200);

      // when
      const created = await Promise.all(Array.from({ length: 3 }, () => zbc.createProcessInstance({ bpmnProcessId: 'sdk-stream', variables: {} })));

      // then
      const keys = created.map((instance) => instance.processInstanceKey);
      for (const key of keys) await completed(key);
      expect([...pushed].sort()).toEqual([...keys].sort());
      // and each job was activated by the broker pushing it as it was created, not by a poll's JOB_BATCH ACTIVATE
      const records = broker.exportedRecords();
      const activations = records.filter((record) => record.valueType === 'JOB_BATCH' && record.intent === 'ACTIVATED' && record.value.type === 'sdk-stream');
      expect(activations.flatMap((record) => record.value.jobs.map((job: any) => String(job.processInstanceKey))).sort()).toEqual([...keys].sort());
      const sources = activations.map((record) => records.find((source) => source.position === record.sourceRecordPosition));
      expect(sources.map((source) => `${source?.valueType} ${source?.intent}`)).not.toContain('JOB_BATCH ACTIVATE');
    } finally {
      stream.close();
    }
  });

  test('jobs created while no worker runs wait, and complete once a worker starts', async () => {
    // given
    await deploy('sdk-late-worker', 'sdk-late-worker');
    const created = await Promise.all(Array.from({ length: 3 }, () => zbc.createProcessInstance({ bpmnProcessId: 'sdk-late-worker', variables: {} })));
    const keys = created.map((instance) => instance.processInstanceKey);
    await delay(500);
    expect(keys.filter((key) => processInstanceCompleted(broker.exportedRecords(), key))).toEqual([]);

    // when
    zbc.createWorker({ taskType: 'sdk-late-worker', taskHandler: (job) => job.complete() });

    // then
    for (const key of keys) await completed(key);
  });
});
