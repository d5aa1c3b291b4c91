import { afterEach, describe, expect, test } from 'vitest';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { incidentEvents } from '../support/exported-records.js';
import { GatewayGrpcClient, type GrpcOutcome } from '../support/gateway-grpc.js';

/**
 * Nothing a client was told succeeded is lost when the broker process dies: each test has the broker acknowledge
 * something, kills it with SIGKILL (no shutdown hook runs, nothing is flushed), restarts it on the same data
 * directory and checks that what was acknowledged is there.
 */

const PROCESS_ID = 'durable';
const JOB_TYPE = 'durable-work';

describe('a broker killed with SIGKILL keeps everything it acknowledged', () => {
  let broker: BrokerProcess | undefined;
  let client: GatewayGrpcClient | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await broker?.dispose();
    broker = undefined;
  });

  /** A fresh client after each restart, so no test waits for gRPC's reconnect backoff. */
  function connect(running: BrokerProcess): GatewayGrpcClient {
    client?.close();
    client = new GatewayGrpcClient(running);
    return client;
  }

  async function succeed<T>(outcome: Promise<GrpcOutcome<T>>, what: string): Promise<T> {
    const settled = await outcome;
    if (!settled.ok) throw new Error(`Expected ${what} to succeed, but got ${settled.codeName}: ${settled.details}${broker?.outputForError() ?? ''}`);
    return settled.response;
  }

  async function deploy(gateway: GatewayGrpcClient): Promise<any> {
    const response = await succeed(gateway.call('DeployResource', { resources: [{ name: `${PROCESS_ID}.bpmn`, content: oneTaskProcess(PROCESS_ID, JOB_TYPE) }] }), 'the deployment');
    return response.deployments[0].process;
  }

  async function createInstance(gateway: GatewayGrpcClient): Promise<string> {
    const response = await succeed(gateway.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{}' }), 'creating an instance');
    return response.processInstanceKey;
  }

  /** Activates every job of the type that is there now (no long polling). */
  async function activateAll(gateway: GatewayGrpcClient): Promise<any[]> {
    const jobs: any[] = [];
    while (true) {
      const batches = await succeed(
        gateway.stream('ActivateJobs', { type: JOB_TYPE, worker: 'crash-test', timeout: '300000', maxJobsToActivate: 100, requestTimeout: '-1' }),
        'activating jobs',
      );
      const activated = batches.flatMap((batch: any) => batch.jobs);
      if (activated.length === 0) return jobs;
      jobs.push(...activated);
    }
  }

  async function killAndRestart(running: BrokerProcess): Promise<GatewayGrpcClient> {
    await running.kill();
    await running.restart();
    return connect(running);
  }

  test('a deployment acknowledged before the kill can be instantiated after the restart', async () => {
    // given
    broker = await BrokerProcess.start();
    const deployed = await deploy(connect(broker));

    // when
    const gateway = await killAndRestart(broker);
    const created = await succeed(gateway.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{}' }), 'creating an instance after the restart');

    // then
    expect(created).toMatchObject({ bpmnProcessId: PROCESS_ID, version: 1, processDefinitionKey: deployed.processDefinitionKey });
  });

  test('50 instances acknowledged before the kill each have an activatable job after the restart, and keys are not reused', async () => {
    // given
    broker = await BrokerProcess.start();
    const before = connect(broker);
    await deploy(before);
    const acknowledged = await Promise.all(Array.from({ length: 50 }, () => createInstance(before)));

    // when
    const gateway = await killAndRestart(broker);
    const jobs = await activateAll(gateway);
    const createdAfter = await createInstance(gateway);

    // then
    expect(jobs.map((job) => job.processInstanceKey).sort()).toEqual([...acknowledged].sort());
    expect(acknowledged).not.toContain(createdAfter);
    expect(jobs.map((job) => job.key)).not.toContain(createdAfter);
  });

  test('an incident acknowledged before the kill can be resolved after the restart, and its instance completes', async () => {
    // given a job failed to zero retries, its incident exported
    broker = await BrokerProcess.start({ exportJsonl: true });
    const before = connect(broker);
    await deploy(before);
    const processInstanceKey = await createInstance(before);
    const [job] = await activateAll(before);
    await succeed(before.call('FailJob', { jobKey: job.key, retries: 0, errorMessage: 'disk on fire' }), 'failing the job');
    const running = broker;
    const incident = await eventually('an INCIDENT CREATED record', () => incidentEvents(running.exportedRecords(), processInstanceKey, 'CREATED')[0]);

    // when
    const gateway = await killAndRestart(broker);
    await succeed(gateway.call('UpdateJobRetries', { jobKey: job.key, retries: 1 }), 'updating the retries after the restart');
    await succeed(gateway.call('ResolveIncident', { incidentKey: String(incident.key) }), 'resolving the incident after the restart');
    const [retried] = await activateAll(gateway);
    await succeed(gateway.call('CompleteJob', { jobKey: job.key, variables: '{}' }), 'completing the job');

    // then
    expect(retried).toMatchObject({ key: job.key, retries: 1, processInstanceKey });
    const resolvedAgain = await gateway.call('ResolveIncident', { incidentKey: String(incident.key) });
    expect(resolvedAgain).toMatchObject({ ok: false, codeName: 'NOT_FOUND' });
    const cancelled = await gateway.call('CancelProcessInstance', { processInstanceKey });
    expect(cancelled, 'the instance should have completed, so there is nothing to cancel').toMatchObject({ ok: false, codeName: 'NOT_FOUND' });
  });

  test('killed while instances are being created concurrently, every acknowledged instance still has its job and is exported', async () => {
    // given four clients creating instances as fast as they can
    broker = await BrokerProcess.start({ exportJsonl: true });
    const before = connect(broker);
    await deploy(before);
    const acknowledged: string[] = [];
    let creating = true;
    const creators = Array.from({ length: 4 }, async () => {
      while (creating) {
        const outcome = await before.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{"n":1}' });
        if (outcome.ok) acknowledged.push(outcome.response.processInstanceKey);
        else creating = false;
      }
    });
    await eventually('40 acknowledged instances', () => acknowledged.length >= 40);

    // when the broker dies in the middle of it
    await broker.kill();
    creating = false;
    await Promise.all(creators);
    const acknowledgedBeforeKill = [...acknowledged];
    await broker.restart();
    const gateway = connect(broker);
    const jobs = await activateAll(gateway);

    // then
    const withJobs = new Set(jobs.map((job) => job.processInstanceKey));
    expect(acknowledgedBeforeKill.filter((key) => !withJobs.has(key))).toEqual([]);
    expect(new Set(jobs.map((job) => job.key)).size).toBe(jobs.length);
    // and the exporter (at least once) catches up: every acknowledged creation is in the file, a record exported
    // twice is the same record, and no line is torn
    const restarted = broker;
    const exported = await eventually('every acknowledged creation to be exported', () => {
      const records = restarted.exportedRecords();
      const created = new Set(
        records.filter((record) => record.valueType === 'PROCESS_INSTANCE_CREATION' && record.intent === 'CREATED').map((record) => String(record.key)),
      );
      return acknowledgedBeforeKill.every((key) => created.has(key)) && records;
    });
    const byPosition = new Map<number, string>();
    for (const record of exported) {
      const text = JSON.stringify(record);
      expect(byPosition.get(record.position) ?? text).toBe(text);
      byPosition.set(record.position, text);
    }
  });
});

describe('a broker stopped gracefully (SIGTERM)', () => {
  let broker: BrokerProcess | undefined;
  let clients: GatewayGrpcClient[] = [];

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await broker?.dispose();
    broker = undefined;
  });

  test('exits cleanly and keeps deployments, instances, jobs and incidents across the restart', async () => {
    // given two instances: one whose job failed into an incident, one whose job waits
    broker = await BrokerProcess.start({ exportJsonl: true });
    const before = new GatewayGrpcClient(broker);
    clients.push(before);
    const deployed = await before.call('DeployResource', { resources: [{ name: `${PROCESS_ID}.bpmn`, content: oneTaskProcess(PROCESS_ID, JOB_TYPE) }] });
    expect(deployed.ok).toBe(true);
    const first = await before.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{"n":1}' });
    const failing = await before.stream('ActivateJobs', { type: JOB_TYPE, worker: 'sigterm', timeout: '300000', maxJobsToActivate: 1, requestTimeout: '-1' });
    if (!first.ok || !failing.ok) throw new Error(`Expected to create an instance and activate its job: ${JSON.stringify({ first, failing })}`);
    const failingJob = failing.response[0].jobs[0];
    expect(await before.call('FailJob', { jobKey: failingJob.key, retries: 0, errorMessage: 'broken' })).toMatchObject({ ok: true });
    const second = await before.call('CreateProcessInstance', { bpmnProcessId: PROCESS_ID, version: -1, variables: '{"n":2}' });
    if (!second.ok) throw new Error(`Expected to create the second instance: ${second.details}`);
    const running = broker;
    const incident = await eventually('an INCIDENT CREATED record', () => incidentEvents(running.exportedRecords(), first.response.processInstanceKey, 'CREATED')[0]);

    // when
    const exit = await broker.stop();
    await broker.restart();
    const after = new GatewayGrpcClient(broker);
    clients.push(after);

    // then the broker stopped cleanly
    expect(exit, broker.outputForError()).toBe(0);
    // and the waiting job is there, the failed one is not (it has no retries)
    const activated = await after.stream('ActivateJobs', { type: JOB_TYPE, worker: 'sigterm', timeout: '300000', maxJobsToActivate: 10, requestTimeout: '-1' });
    expect(activated.ok).toBe(true);
    const jobs = activated.ok ? activated.response.flatMap((batch: any) => batch.jobs) : [];
    expect(jobs.map((job: any) => job.processInstanceKey)).toEqual([second.response.processInstanceKey]);
    expect(JSON.parse(jobs[0].variables)).toEqual({ n: 2 });
    // and the incident can be resolved once the job has retries again
    expect(await after.call('UpdateJobRetries', { jobKey: failingJob.key, retries: 2 })).toMatchObject({ ok: true });
    expect(await after.call('ResolveIncident', { incidentKey: String(incident.key) })).toMatchObject({ ok: true });
    const retried = await after.stream('ActivateJobs', { type: JOB_TYPE, worker: 'sigterm', timeout: '300000', maxJobsToActivate: 10, requestTimeout: '-1' });
    expect(retried.ok && retried.response.flatMap((batch: any) => batch.jobs).map((job: any) => job.key)).toEqual([failingJob.key]);
  });
});
