import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { GatewayGrpcClient, type GrpcOutcome } from '../support/gateway-grpc.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';
import { tempDir } from '../support/temp-dir.js';
import { tributaryCli } from '../support/tributary-cli.js';

/**
 * Bad input gets a clear error (the right gRPC status, a message naming the problem) and never a crash or a stuck
 * partition: after each bad request the broker still serves a normal one and reports ready.
 */

const FIXTURES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn');
const MAX_MESSAGE_SIZE_BYTES = 4 * 1024 * 1024;

function fixture(name: string): { name: string; content: Buffer } {
  return { name, content: readFileSync(join(FIXTURES, name)) };
}

function expectRefused(outcome: GrpcOutcome, codeName: string, ...messageParts: (string | RegExp)[]): void {
  expect(outcome.ok, `expected ${codeName}, but the request succeeded: ${JSON.stringify(outcome)}`).toBe(false);
  if (outcome.ok) return;
  expect({ codeName: outcome.codeName, details: outcome.details }).toMatchObject({ codeName });
  for (const part of messageParts) expect(outcome.details).toMatch(part);
}

/** The broker process is alive, reports ready, and creates an instance of a deployed process. */
async function expectStillServes(broker: BrokerProcess, client: GatewayGrpcClient): Promise<void> {
  expect(broker.isRunning, `expected the broker to be running, but it exited${broker.outputForError()}`).toBe(true);
  const ready = await broker.monitoring('/ready').catch((error) => ({ status: 0, body: String(error) }));
  expect(ready.status, `GET /ready: ${ready.body}${broker.outputForError()}`).toBe(200);
  const created = await client.call('CreateProcessInstance', { bpmnProcessId: 'one-task', version: -1, variables: '{"fine":true}' });
  expect(created, broker.outputForError()).toMatchObject({ ok: true, response: { bpmnProcessId: 'one-task' } });
}

describe('bad requests to a broker process', () => {
  let broker: BrokerProcess;
  let client: GatewayGrpcClient;

  beforeAll(async () => {
    broker = await BrokerProcess.start();
    client = new GatewayGrpcClient(broker);
    const deployed = await client.call('DeployResource', { resources: [fixture('one-task.bpmn')] });
    if (!deployed.ok) throw new Error(`Expected to deploy one-task.bpmn, but: ${JSON.stringify(deployed)}`);
  });

  afterAll(async () => {
    client?.close();
    await broker?.dispose();
  });

  test('malformed XML is refused with INVALID_ARGUMENT naming the resource and the line', async () => {
    // when
    const outcome = await client.call('DeployResource', { resources: [fixture('malformed-xml.bpmn')] });

    // then
    expectRefused(outcome, 'INVALID_ARGUMENT', 'malformed-xml.bpmn', /not well-formed/, /Line 5/);
    await expectStillServes(broker, client);
  });

  test('a service task without a job type is refused with INVALID_ARGUMENT naming the element and the attribute', async () => {
    // when
    const outcome = await client.call('DeployResource', { resources: [fixture('service-task-without-type.bpmn')] });

    // then
    expectRefused(outcome, 'INVALID_ARGUMENT', 'service-task-without-type.bpmn', /Element: task/, /'type'/);
    await expectStillServes(broker, client);
  });

  test('a model with several bad events is refused with one INVALID_ARGUMENT naming every problem', async () => {
    // when
    const outcome = await client.call('DeployResource', { resources: [fixture('bad-models.bpmn')] });

    // then
    expectRefused(
      outcome,
      'INVALID_ARGUMENT',
      'bad-models.bpmn',
      /Element: choose\n.*points to 'task'/,
      /Element: wait-for-payment\n.*Must have a message name/,
      /Element: cool-down\n.*ISO 8601/,
      /Element: deadline\n.*'next monday'/,
      /Element: ship\n.*called process 'shipping-not-deployed-yet'/,
    );
    await expectStillServes(broker, client);
  });

  test('a deployment with one bad resource deploys none of them', async () => {
    // when
    const outcome = await client.call('DeployResource', { resources: [fixture('order-process.bpmn'), fixture('malformed-xml.bpmn')] });
    const created = await client.call('CreateProcessInstance', { bpmnProcessId: 'order-process', version: -1, variables: '{}' });

    // then
    expectRefused(outcome, 'INVALID_ARGUMENT', 'malformed-xml.bpmn');
    expectRefused(created, 'NOT_FOUND', "'order-process'");
    await expectStillServes(broker, client);
  });

  test('creating an instance of an unknown process id is NOT_FOUND naming the id', async () => {
    // when
    const outcome = await client.call('CreateProcessInstance', { bpmnProcessId: 'no-such-process', version: -1, variables: '{}' });

    // then
    expectRefused(outcome, 'NOT_FOUND', "'no-such-process'");
    await expectStillServes(broker, client);
  });

  test.each([
    { variables: '[1,2]', what: 'an array' },
    { variables: '"text"', what: 'a string' },
    { variables: '42', what: 'a number' },
    { variables: '{"a":', what: 'truncated JSON' },
    { variables: 'not json', what: 'not JSON at all' },
  ])('variables that are $what are refused with INVALID_ARGUMENT naming the variables', async ({ variables }) => {
    // when
    const outcome = await client.call('CreateProcessInstance', { bpmnProcessId: 'one-task', version: -1, variables });

    // then
    expectRefused(outcome, 'INVALID_ARGUMENT', /variables/, /JSON object/);
    await expectStillServes(broker, client);
  });

  test('completing, failing or updating an unknown job key is NOT_FOUND naming the key', async () => {
    // given a key of partition 1 that was never handed out
    const jobKey = '2251799813999999';

    // when
    const completed = await client.call('CompleteJob', { jobKey, variables: '{}' });
    const failed = await client.call('FailJob', { jobKey, retries: 1, errorMessage: 'x' });
    const updated = await client.call('UpdateJobRetries', { jobKey, retries: 3 });

    // then
    for (const outcome of [completed, failed, updated]) expectRefused(outcome, 'NOT_FOUND', jobKey, /job/);
    await expectStillServes(broker, client);
  });

  test('a job key of a partition the cluster does not have is NOT_FOUND naming the partition', async () => {
    // when
    const outcome = await client.call('CompleteJob', { jobKey: '9223372036854775807', variables: '{}' });

    // then
    expectRefused(outcome, 'NOT_FOUND', /jobKey/, /partition/);
    await expectStillServes(broker, client);
  });

  test('activating jobs without a type is INVALID_ARGUMENT naming the field', async () => {
    // when
    const outcome = await client.stream('ActivateJobs', { type: '', worker: 'w', timeout: '1000', maxJobsToActivate: 1, requestTimeout: '-1' });

    // then
    expectRefused(outcome, 'INVALID_ARGUMENT', /'type'/);
    await expectStillServes(broker, client);
  });

  test('a request over the 4 MiB message limit is RESOURCE_EXHAUSTED saying it is too large', async () => {
    // given variables of 5 MiB
    const variables = JSON.stringify({ blob: 'x'.repeat(5 * 1024 * 1024) });

    // when
    const created = await client.call('CreateProcessInstance', { bpmnProcessId: 'one-task', version: -1, variables });
    const deployed = await client.call('DeployResource', { resources: [{ name: 'huge.bpmn', content: Buffer.alloc(MAX_MESSAGE_SIZE_BYTES + 1024, 0x20) }] });

    // then
    expectRefused(created, 'RESOURCE_EXHAUSTED', /larger than max/, String(MAX_MESSAGE_SIZE_BYTES));
    expectRefused(deployed, 'RESOURCE_EXHAUSTED', /larger than max/);
    await expectStillServes(broker, client);
  });

  test('the CLI refuses to deploy a file that does not exist, naming it', async () => {
    // when
    const result = await tributaryCli(['--address', broker.address, 'deploy', 'missing.bpmn']);

    // then
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('missing.bpmn');
    expect(result.stderr).toMatch(/no such file/i);
  });

  test('the CLI reports an unknown process id with NOT_FOUND and a non-zero exit code', async () => {
    // when
    const result = await tributaryCli(['--address', broker.address, 'create', 'instance', 'nope']);

    // then
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('NOT_FOUND');
    expect(result.stderr).toContain("'nope'");
  });

  test('the CLI refuses variables that are not a JSON object before sending anything', async () => {
    // when
    const result = await tributaryCli(['--address', broker.address, 'create', 'instance', 'one-task', '--variables', '[1]']);

    // then
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/--variables.*JSON object/);
  });
});

describe('deeply nested variables', () => {
  let broker: BrokerProcess;
  let client: GatewayGrpcClient;

  beforeAll(async () => {
    broker = await BrokerProcess.start();
    client = new GatewayGrpcClient(broker);
    const deployed = await client.call('DeployResource', { resources: [fixture('one-task.bpmn')] });
    if (!deployed.ok) throw new Error(`Expected to deploy one-task.bpmn, but: ${JSON.stringify(deployed)}`);
  });

  afterAll(async () => {
    client?.close();
    await broker?.dispose();
  });

  test('variables nested 10,000 levels deep (a 20 KB request) neither crash the broker nor are accepted silently', async () => {
    // given a small document that is valid JSON but absurdly deep
    const depth = 10_000;
    const variables = `{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    // when
    const outcome = await client.call('CreateProcessInstance', { bpmnProcessId: 'one-task', version: -1, variables });

    // then the broker is still up, and the request was refused as invalid rather than dropped with the connection
    await expectStillServes(broker, client);
    expectRefused(outcome, 'INVALID_ARGUMENT', /variables/);
  });
});

describe('a broker started on a gateway port that is taken', () => {
  let occupier: Server | undefined;
  const data = tempDir('tributary-port-taken-');

  afterAll(() => {
    occupier?.close();
    data.remove();
  });

  test('exits non-zero, naming the port, instead of running without a gateway', async () => {
    // given another process listening on the port
    occupier = createServer();
    const server = occupier;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const takenPort = (server.address() as AddressInfo).port;

    // when
    const result = await tributaryCli(
      ['broker', '--data-dir', join(data.path, 'data'), '--host', '127.0.0.1', '--port', String(takenPort), '--monitoring-port', '0'],
      { timeoutMs: 5_000 },
    );

    // then
    expect(result.stderr).toMatch(/EADDRINUSE|already in use/);
    expect(result.stderr).toContain(String(takenPort));
    expect(result.exitCode, `the broker was still running after 5 s (killed); it printed:\n${result.stdout}${result.stderr}`).not.toBeNull();
    expect(result.exitCode).not.toBe(0);
  });
});
