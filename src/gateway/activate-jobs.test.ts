import { once } from 'node:events';
import { connect as http2Connect } from 'node:http2';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { TributaryError } from '../errors.js';
import { encodeKey, type JobBatchRecordValue, type JobRecordValue, type RecordValue } from '../protocol/index.js';
import type { ActivatedJobRecord } from './broker-client.js';
import { GatewayServer } from './gateway-server.js';
import { loadGatewayService } from './proto-definition.js';
import { eventFor, FakeBrokerClient, rejectionOf, type SentCommand } from './test-support/fake-broker-client.js';
import { rawGatewayClient } from './test-support/raw-client.js';
import { officialClient, type ZeebeGrpcClient } from './test-support/sdk-client.js';

const LONG_POLLING_TIMEOUT_DEFAULT_MS = 400;

function job(type: string, fields: Partial<JobRecordValue> = {}): JobRecordValue {
  return {
    type,
    worker: 'picker-1',
    retries: 3,
    retryBackoff: 0,
    recurringTime: -1,
    deadline: 1_700_000_060_000,
    timeout: 60_000,
    errorMessage: '',
    errorCode: '',
    customHeaders: { priority: 'high' },
    variables: { orderId: 'o-1' },
    processInstanceKey: encodeKey(1, 100n),
    bpmnProcessId: 'order',
    processDefinitionVersion: 2,
    processDefinitionKey: encodeKey(1, 5n),
    elementId: 'pick',
    elementInstanceKey: encodeKey(1, 101n),
    tenantId: '<default>',
    jobKind: 'BPMN_ELEMENT',
    jobListenerEventType: 'UNSPECIFIED',
    changedAttributes: [],
    ...fields,
  };
}

/**
 * A fake broker with activatable jobs per partition: JOB_BATCH ACTIVATE on a partition takes up to
 * maxJobsToActivate of that partition's jobs of the requested type.
 */
class JobsBroker extends FakeBrokerClient {
  readonly activatable = new Map<number, ActivatedJobRecord[]>();
  private localKey = 1n;

  addJob(partitionId: number, value: JobRecordValue): bigint {
    const key = encodeKey(partitionId, this.localKey++);
    const jobs = this.activatable.get(partitionId) ?? [];
    jobs.push({ key, value });
    this.activatable.set(partitionId, jobs);
    return key;
  }

  activate(sent: SentCommand): ReturnType<typeof eventFor> {
    const request = sent.command.value as unknown as JobBatchRecordValue;
    const available = this.activatable.get(sent.partitionId) ?? [];
    const taken = available.filter((candidate) => candidate.value.type === request.type).slice(0, request.maxJobsToActivate);
    this.activatable.set(
      sent.partitionId,
      available.filter((candidate) => !taken.includes(candidate)),
    );
    const batch = { ...request, jobKeys: taken.map((entry) => entry.key), jobs: taken.map((entry) => ({ ...entry.value, worker: request.worker })) };
    return eventFor(sent, batch as unknown as RecordValue);
  }

  batches(): SentCommand[] {
    return this.commandsOf('JOB_BATCH');
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ActivateJobs and StreamActivatedJobs, driven by the official client', () => {
  const broker = new JobsBroker();
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0, longPollingTimeoutDefaultMs: LONG_POLLING_TIMEOUT_DEFAULT_MS });
  let zeebe: ZeebeGrpcClient;
  let port: number;

  beforeAll(async () => {
    port = await server.start();
    zeebe = officialClient(port);
    await zeebe.topology();
  });

  afterAll(async () => {
    await zeebe.close();
    await server.stop();
  });

  beforeEach(() => {
    broker.commands.length = 0;
    broker.activatable.clear();
    broker.respond = (sent) => (sent.command.valueType === 'JOB_BATCH' ? broker.activate(sent) : eventFor(sent));
  });

  test('activates jobs with JOB_BATCH ACTIVATE and returns them as ActivatedJob messages', async () => {
    const key = broker.addJob(2, job('pick'));

    const jobs = await zeebe.activateJobs({
      type: 'pick',
      worker: 'picker-1',
      timeout: 60_000,
      maxJobsToActivate: 10,
      fetchVariable: ['orderId'],
      requestTimeout: -1,
    });

    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      key: key.toString(),
      type: 'pick',
      processInstanceKey: encodeKey(1, 100n).toString(),
      bpmnProcessId: 'order',
      processDefinitionVersion: 2,
      processDefinitionKey: encodeKey(1, 5n).toString(),
      elementId: 'pick',
      elementInstanceKey: encodeKey(1, 101n).toString(),
      customHeaders: { priority: 'high' },
      worker: 'picker-1',
      retries: 3,
      deadline: '1700000060000',
      variables: { orderId: 'o-1' },
      tenantId: '<default>',
    });
    expect(broker.batches()[0].command).toEqual({
      valueType: 'JOB_BATCH',
      intent: 'ACTIVATE',
      key: -1n,
      value: {
        type: 'pick',
        worker: 'picker-1',
        timeout: 60_000,
        maxJobsToActivate: 10,
        jobKeys: [],
        jobs: [],
        variables: ['orderId'],
        truncated: false,
        tenantIds: ['<default>'],
      },
    });
  });

  test('asks partition after partition until maxJobsToActivate jobs are activated', async () => {
    for (const partitionId of [1, 2, 3]) {
      broker.addJob(partitionId, job('pack'));
      broker.addJob(partitionId, job('pack'));
    }

    const jobs = await zeebe.activateJobs({ type: 'pack', worker: 'w', timeout: 1_000, maxJobsToActivate: 3, requestTimeout: -1 });

    expect(jobs).toHaveLength(3);
    const batches = broker.batches();
    expect(batches).toHaveLength(2);
    expect(batches.map((sent) => (sent.command.value as unknown as JobBatchRecordValue).maxJobsToActivate)).toEqual([3, 1]);
    expect(new Set(batches.map((sent) => sent.partitionId)).size).toBe(2);
  });

  test('without long polling, a request with no jobs ends empty after one round over the partitions', async () => {
    const jobs = await zeebe.activateJobs({ type: 'none', worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: -1 });

    expect(jobs).toEqual([]);
    expect(broker.batches().map((sent) => sent.partitionId).sort()).toEqual([1, 2, 3]);
  });

  test('a long poll is released as soon as the brokers announce jobs of its type', async () => {
    const startedAt = Date.now();
    const activating = zeebe.activateJobs({ type: 'ship', worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: 20_000 });
    await until(() => broker.batches().length === 3);

    const key = broker.addJob(3, job('ship'));
    broker.notifyJobsAvailable('ship');
    const jobs = await activating;

    expect(jobs.map((activated) => activated.key)).toEqual([key.toString()]);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  test('a long poll that finds no jobs ends empty after its requestTimeout', async () => {
    const startedAt = Date.now();

    const jobs = await zeebe.activateJobs({ type: 'idle', worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: 300 });

    expect(jobs).toEqual([]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  test("requestTimeout 0 long-polls for the gateway's default", async () => {
    const startedAt = Date.now();

    const jobs = await zeebe.activateJobs({ type: 'idle', worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: 0 });

    expect(jobs).toEqual([]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(LONG_POLLING_TIMEOUT_DEFAULT_MS - 10);
  });

  test('waiting requests of a type are served in arrival order, so none starves', async () => {
    const request = { type: 'fifo', worker: 'w', timeout: 1_000, maxJobsToActivate: 1, requestTimeout: 20_000 };
    const first = zeebe.activateJobs({ ...request, worker: 'first' });
    await until(() => broker.batches().length === 3);
    const second = zeebe.activateJobs({ ...request, worker: 'second' });
    await until(() => broker.batches().length === 6);
    const third = zeebe.activateJobs({ ...request, worker: 'third' });
    await until(() => broker.batches().length === 9);

    const keys = [];
    for (let i = 0; i < 3; i++) {
      keys.push(broker.addJob(1, job('fifo')).toString());
      broker.notifyJobsAvailable('fifo');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect((await first).map((activated) => activated.key)).toEqual([keys[0]]);
    expect((await second).map((activated) => activated.key)).toEqual([keys[1]]);
    expect((await third).map((activated) => activated.key)).toEqual([keys[2]]);
  });

  test('one notification serves several waiting requests while jobs last', async () => {
    const request = { type: 'burst', worker: 'w', timeout: 1_000, maxJobsToActivate: 1, requestTimeout: 20_000 };
    const waiting = [zeebe.activateJobs(request), zeebe.activateJobs(request)];
    await until(() => broker.batches().length === 6);

    broker.addJob(2, job('burst'));
    broker.addJob(2, job('burst'));
    broker.notifyJobsAvailable('burst');

    const results = await Promise.all(waiting);
    expect(results.map((jobs) => jobs.length)).toEqual([1, 1]);
  });

  test('refuses an empty job type and maxJobsToActivate below 1 before sending anything', async () => {
    const emptyType = await zeebe.activateJobs({ type: '', worker: 'w', timeout: 1_000, maxJobsToActivate: 1, requestTimeout: -1 }).catch((error) => error);
    const noJobs = await zeebe.activateJobs({ type: 'pick', worker: 'w', timeout: 1_000, maxJobsToActivate: 0, requestTimeout: -1 }).catch((error) => error);

    expect(emptyType).toMatchObject({ code: 3, details: "Expected to activate jobs of a type, but 'type' is empty" });
    expect(noJobs).toMatchObject({ code: 3, details: "Expected 'maxJobsToActivate' to be at least 1, but got 0" });
    expect(broker.commands).toEqual([]);
  });

  test('a rejected JOB_BATCH answers with the rejection', async () => {
    broker.respond = (sent) => rejectionOf(sent, 'INVALID_ARGUMENT', "Expected a tenant, but 'nobody' is not known");

    const error = await zeebe.activateJobs({ type: 'pick', worker: 'w', timeout: 1_000, maxJobsToActivate: 1, requestTimeout: -1 }).catch((e) => e);

    expect(error).toMatchObject({ code: 3, details: "Command 'ACTIVATE' rejected with code 'INVALID_ARGUMENT': Expected a tenant, but 'nobody' is not known" });
  });

  test('fails only when every partition fails; one unavailable partition does not hide the jobs of another', async () => {
    const key = broker.addJob(3, job('pick'));
    broker.respond = (sent) => {
      if (sent.partitionId !== 3) throw new TributaryError('PARTITION_UNAVAILABLE', `Expected a leader for partition ${sent.partitionId}, but there is none`);
      return broker.activate(sent);
    };
    const jobs = await zeebe.activateJobs({ type: 'pick', worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: -1 });
    expect(jobs.map((activated) => activated.key)).toEqual([key.toString()]);

    broker.respond = () => {
      throw new TributaryError('RESOURCE_EXHAUSTED', 'Expected to accept the command, but the partition is overloaded');
    };
    const error = await zeebe.activateJobs({ type: 'pick', worker: 'w', timeout: 1_000, maxJobsToActivate: 5, requestTimeout: 5_000 }).catch((e) => e);
    expect(error).toMatchObject({ code: 8, details: 'Expected to accept the command, but the partition is overloaded' });
  });

  test('the official job worker activates, handles and completes a job', async () => {
    const key = broker.addJob(1, job('bill', { variables: { amount: 12 } }));
    const handled: unknown[] = [];
    const worker = zeebe.createWorker({
      taskType: 'bill',
      taskHandler: (activated) => {
        handled.push(activated.variables);
        return activated.complete({ billed: true });
      },
    });
    try {
      await until(() => broker.commandsOf('JOB').length === 1);

      expect(handled).toEqual([{ amount: 12 }]);
      expect(broker.commandsOf('JOB')[0].command).toMatchObject({ intent: 'COMPLETE', key, value: { variables: { billed: true } } });
    } finally {
      await worker.close();
    }
  });

  test('StreamActivatedJobs opens a job stream and writes each pushed job until the client closes it', async () => {
    const handled: { key: string; variables: unknown }[] = [];
    const stream = await zeebe.streamJobs({
      type: 'notify',
      worker: 'notifier',
      timeout: 30_000,
      tenantIds: [], // empty means the default tenant
      taskHandler: async (activated) => {
        handled.push({ key: activated.key, variables: activated.variables });
        return activated.complete();
      },
    });
    await until(() => broker.jobStreams.length === 1);
    const opened = broker.jobStreams[0];
    expect(opened.request).toEqual({ type: 'notify', worker: 'notifier', timeoutMs: 30_000, fetchVariables: [], tenantIds: ['<default>'] });

    const key = encodeKey(2, 77n);
    expect(opened.push({ key, value: job('notify', { variables: { email: 'ada@example.com' } }) })).toBe(true);
    await until(() => broker.commandsOf('JOB').length === 1);

    expect(handled).toEqual([{ key: key.toString(), variables: { email: 'ada@example.com' } }]);
    expect(broker.commandsOf('JOB')[0].command).toMatchObject({ intent: 'COMPLETE', key });

    // The SDK's stream worker prints the CANCELLED status its own close causes; keep the test output clean.
    const printed = vi.spyOn(console, 'error').mockImplementation(() => {});
    stream.close();
    await until(() => opened.closed);
    printed.mockRestore();
    expect(opened.push({ key: encodeKey(2, 78n), value: job('notify') })).toBe(false);
  });

  test('StreamActivatedJobs sends its response headers once the stream is registered, before any job', async () => {
    // given: a plain gRPC client, which reports the response headers as they arrive
    const client = rawGatewayClient(port);
    try {
      const call = client.StreamActivatedJobs({ type: 'headers-first', worker: 'w', timeout: '30000', fetchVariable: [], tenantIds: [] });
      call.on('error', () => undefined);

      // when: the headers arrive, no job having been pushed
      await new Promise<void>((resolve) => call.once('metadata', () => resolve()));

      // then: the broker has the stream, so a job created from now on is pushed to it
      const opened = broker.jobStreams.filter((stream) => stream.request.type === 'headers-first');
      expect(opened).toHaveLength(1);
      expect(opened[0].push({ key: encodeKey(2, 79n), value: job('headers-first') })).toBe(true);
      const pushed = await new Promise<any>((resolve) => call.once('data', resolve));
      expect(pushed).toMatchObject({ type: 'headers-first', key: encodeKey(2, 79n).toString() });
      call.cancel();
      await until(() => opened[0].closed);
    } finally {
      client.close();
    }
  });
});

describe('a job stream whose client does not keep up', () => {
  const broker = new JobsBroker();
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0 });
  const service = loadGatewayService();
  let port: number;

  beforeAll(async () => {
    port = await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  test('refuses further jobs (the broker yields them) while a written one waits for the window, then takes them again', async () => {
    // given: a client whose streams start without flow-control window, so nothing written can reach it yet
    const session = http2Connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: 0 } });
    try {
      const request = service.StreamActivatedJobs.requestSerialize({ type: 'slow', worker: 'w', timeout: '30000', fetchVariable: [], tenantIds: [] });
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(request.length, 1);
      const stream = session.request({ ':method': 'POST', ':path': service.StreamActivatedJobs.path, 'content-type': 'application/grpc', te: 'trailers' });
      stream.end(Buffer.concat([prefix, request]));
      await once(stream, 'response');
      const received: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => received.push(chunk));
      const opened = broker.jobStreams.find((candidate) => candidate.request.type === 'slow')!;

      // when: three jobs are pushed
      const accepted = [1n, 2n, 3n].map((local) => opened.push({ key: encodeKey(2, 100n + local), value: job('slow') }));

      // then: the first is written (and waits for the window), the others are refused for the broker to yield
      expect(accepted).toEqual([true, false, false]);
      expect(received).toHaveLength(0);

      // when: the client opens its window, the first job arrives and the stream takes jobs again
      session.settings({ initialWindowSize: 65_535 });
      await until(() => Buffer.concat(received).length > 5);
      const first = service.StreamActivatedJobs.responseDeserialize(Buffer.concat(received).subarray(5)) as { key: string };
      expect(first.key).toBe(encodeKey(2, 101n).toString());
      expect(opened.push({ key: encodeKey(2, 104n), value: job('slow') })).toBe(true);
      stream.close();
    } finally {
      session.close();
    }
  });
});

describe('stopping the gateway', () => {
  test('ends waiting long polls empty and closes job streams', async () => {
    const broker = new JobsBroker();
    broker.respond = (sent) => (sent.command.valueType === 'JOB_BATCH' ? broker.activate(sent) : eventFor(sent));
    const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0 });
    const zeebe = officialClient(await server.start());
    try {
      await zeebe.topology();
      const waiting = zeebe.activateJobs({ type: 'late', worker: 'w', timeout: 1_000, maxJobsToActivate: 1, requestTimeout: 30_000 });
      await until(() => broker.batches().length === 3);
      await zeebe.streamJobs({ type: 'late', worker: 'w', timeout: 1_000, tenantIds: [], taskHandler: (activated) => activated.complete() });
      await until(() => broker.jobStreams.length === 1);
      const startedAt = Date.now();

      await server.stop();

      expect(await waiting).toEqual([]);
      expect(broker.jobStreams[0].closed).toBe(true);
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    } finally {
      await zeebe.close();
    }
  });
});
