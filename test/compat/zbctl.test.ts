import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { incidentEvents, processInstanceCompleted, processInstanceTerminated } from '../support/exported-records.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';
import { zbctl, zbctlJson } from '../support/zbctl.js';

/** zbctl (Zeebe's Go CLI, the Go client underneath) drives a real broker process and gets the answers it expects. */

const ORDER_PROCESS = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn', 'order-process.bpmn');
const ONE_TASK = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn', 'one-task.bpmn');

describe('zbctl against a broker process', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ exportJsonl: true });
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  /** Deploys a one-task process of its own job type with zbctl, from a file as a user would. */
  async function deployOneTask(processId: string, retries = 3): Promise<void> {
    const file = join(broker.root, `${processId}.bpmn`);
    writeFileSync(file, oneTaskProcess(processId, processId, retries));
    await zbctlJson(broker, ['deploy', 'resource', file]);
  }

  async function createInstance(processId: string, variables = '{}'): Promise<string> {
    const created = await zbctlJson(broker, ['create', 'instance', processId, '--variables', variables]);
    return created.processInstanceKey;
  }

  async function activateOne(jobType: string): Promise<any> {
    const activated = await zbctlJson(broker, ['activate', 'jobs', jobType, '--maxJobsToActivate', '1', '--timeout', '5m']);
    expect(activated.jobs).toHaveLength(1);
    return activated.jobs[0];
  }

  test('status prints the topology as JSON', async () => {
    // when
    const status = await zbctlJson(broker, ['status', '--output', 'json']);

    // then
    expect(status).toMatchObject({ clusterSize: 1, partitionsCount: 1, replicationFactor: 1 });
    expect(status.brokers).toEqual([
      expect.objectContaining({ nodeId: 0, host: '127.0.0.1', partitions: [{ partitionId: 1, role: 'LEADER', health: 'HEALTHY' }] }),
    ]);
  });

  test('deploy resource and the older deploy command both deploy a BPMN file', async () => {
    // when
    const deployed = await zbctlJson(broker, ['deploy', 'resource', ORDER_PROCESS]);
    const legacy = await zbctlJson(broker, ['deploy', ONE_TASK]);

    // then
    expect(deployed.key).toMatch(/^\d+$/);
    expect(deployed.deployments).toEqual([
      { process: expect.objectContaining({ bpmnProcessId: 'order-process', version: 1, resourceName: ORDER_PROCESS, tenantId: '<default>' }) },
    ]);
    expect(legacy.processes).toEqual([expect.objectContaining({ bpmnProcessId: 'one-task', version: 1, resourceName: ONE_TASK })]);
  });

  test('create instance, activate jobs and complete job run an instance to its end', async () => {
    // given
    await deployOneTask('zbctl-complete');

    // when
    const created = await zbctlJson(broker, ['create', 'instance', 'zbctl-complete', '--variables', '{"orderId":"o-7","total":12.5}']);
    const job = await activateOne('zbctl-complete');
    const completion = await zbctl(broker, ['complete', 'job', job.key, '--variables', '{"done":true}']);

    // then
    expect(created).toMatchObject({ bpmnProcessId: 'zbctl-complete', version: 1, tenantId: '<default>' });
    expect(job).toMatchObject({ type: 'zbctl-complete', processInstanceKey: created.processInstanceKey, elementId: 'task', retries: 3, worker: 'zbctl' });
    expect(JSON.parse(job.variables)).toEqual({ orderId: 'o-7', total: 12.5 });
    expect(completion.exitCode).toBe(0);
    expect(completion.stdout).toContain(`Completed job with key '${job.key}'`);
    await eventually('the instance to complete', () => processInstanceCompleted(broker.exportedRecords(), created.processInstanceKey));
  });

  test('completing a job twice fails the second time with NotFound', async () => {
    // given
    await deployOneTask('zbctl-twice');
    await createInstance('zbctl-twice');
    const job = await activateOne('zbctl-twice');
    await zbctl(broker, ['complete', 'job', job.key]);

    // when
    const again = await zbctl(broker, ['complete', 'job', job.key]);

    // then
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toContain('NotFound');
    expect(again.stderr).toContain(job.key);
  });

  test('create instance --withResult waits for the instance and prints its variables', async () => {
    // given
    await deployOneTask('zbctl-with-result');

    // when zbctl waits for the result while the job is activated and completed beside it
    const withResult = zbctlJson(broker, ['create', 'instance', 'zbctl-with-result', '--variables', '{"a":1}', '--withResult']);
    const job = await eventually('the job of the awaited instance', async () => (await zbctlJson(broker, ['activate', 'jobs', 'zbctl-with-result'])).jobs[0]);
    await zbctlJson(broker, ['complete', 'job', job.key, '--variables', '{"b":2}', '--output', 'json']);
    const result = await withResult;

    // then
    expect(result).toMatchObject({ bpmnProcessId: 'zbctl-with-result', processInstanceKey: job.processInstanceKey });
    expect(JSON.parse(result.variables)).toEqual({ a: 1, b: 2 });
  });

  test('fail job retries the job; at zero retries update retries and resolve incident let it complete', async () => {
    // given
    await deployOneTask('zbctl-incident');
    const processInstanceKey = await createInstance('zbctl-incident');
    const job = await activateOne('zbctl-incident');

    // when the job fails with a retry left, it can be activated again with that retry
    expect(await zbctlJson(broker, ['fail', 'job', job.key, '--retries', '1', '--errorMessage', 'try again', '--output', 'json'])).toEqual({});
    const retried = await activateOne('zbctl-incident');
    expect(retried).toMatchObject({ key: job.key, retries: 1 });

    // and when it fails with none left, an incident is raised
    expect(await zbctlJson(broker, ['fail', 'job', job.key, '--retries', '0', '--errorMessage', 'gave up', '--output', 'json'])).toEqual({});
    const incident = await eventually('an INCIDENT CREATED record', () => incidentEvents(broker.exportedRecords(), processInstanceKey, 'CREATED')[0]);
    expect(incident.value).toMatchObject({ errorType: 'JOB_NO_RETRIES', errorMessage: 'gave up' });

    // then updating its retries and resolving the incident makes the job activatable, and completing it ends the instance
    expect(await zbctlJson(broker, ['update', 'retries', job.key, '--retries', '2', '--output', 'json'])).toEqual({});
    expect(await zbctlJson(broker, ['resolve', 'incident', String(incident.key), '--output', 'json'])).toEqual({});
    const resolved = await activateOne('zbctl-incident');
    expect(resolved).toMatchObject({ key: job.key, retries: 2 });
    await zbctlJson(broker, ['complete', 'job', job.key, '--output', 'json']);
    await eventually('the instance to complete', () => processInstanceCompleted(broker.exportedRecords(), processInstanceKey));
  });

  test('set variables updates the instance the job then sees', async () => {
    // given
    await deployOneTask('zbctl-set-variables');
    const processInstanceKey = await createInstance('zbctl-set-variables', '{"a":1}');

    // when
    const response = await zbctlJson(broker, ['set', 'variables', processInstanceKey, '--variables', '{"a":2,"b":"x"}', '--output', 'json']);
    const job = await activateOne('zbctl-set-variables');

    // then
    expect(response.key).toMatch(/^\d+$/);
    expect(JSON.parse(job.variables)).toEqual({ a: 2, b: 'x' });
  });

  test('cancel instance terminates it; cancelling it again fails with NotFound', async () => {
    // given
    await deployOneTask('zbctl-cancel');
    const processInstanceKey = await createInstance('zbctl-cancel');

    // when
    const cancelled = await zbctlJson(broker, ['cancel', 'instance', processInstanceKey, '--output', 'json']);
    const again = await zbctl(broker, ['cancel', 'instance', processInstanceKey]);

    // then
    expect(cancelled).toEqual({});
    await eventually('the instance to be terminated', () => processInstanceTerminated(broker.exportedRecords(), processInstanceKey));
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toContain('NotFound');
  });
});
