import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { TributaryError } from '../errors.js';
import { encodeKey, type RecordValue, type RejectionType } from '../protocol/index.js';
import { GatewayServer } from './gateway-server.js';
import type { GatewayLogger } from './grpc-errors.js';
import { eventFor, FakeBrokerClient, keyOn, rejectionOf } from './test-support/fake-broker-client.js';
import { officialClient, type ZeebeGrpcClient } from './test-support/sdk-client.js';
import { rawGatewayClient, callUnary, type RawGatewayClient } from './test-support/raw-client.js';

const REQUEST_TIMEOUT_DEFAULT_MS = 7_000;
const BPMN = Buffer.from('<definitions id="order"><process id="order" isExecutable="true"/></definitions>');

/** An error as the SDK rejects it: grpc-js's ServiceError. */
interface GrpcError {
  code: number;
  details: string;
}

async function failure(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error('Expected the call to fail, but it succeeded');
}

describe('GatewayServer, driven by the official client', () => {
  const broker = new FakeBrokerClient();
  const logged: string[] = [];
  const logger: GatewayLogger = { error: (message) => logged.push(message) };
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0, requestTimeoutDefaultMs: REQUEST_TIMEOUT_DEFAULT_MS, logger });
  let zeebe: ZeebeGrpcClient;
  let raw: RawGatewayClient;

  beforeAll(async () => {
    const port = await server.start();
    zeebe = officialClient(port);
    raw = rawGatewayClient(port);
  });

  afterAll(async () => {
    raw.close();
    await zeebe.close();
    await server.stop();
  });

  beforeEach(() => {
    broker.commands.length = 0;
    broker.respond = (sent) => eventFor(sent);
    logged.length = 0;
  });

  test('Topology answers with the brokers and partitions the broker client reports', async () => {
    const topology = await zeebe.topology();

    expect(topology).toMatchObject({ clusterSize: 1, partitionsCount: 3, replicationFactor: 1, gatewayVersion: '8.8.0' });
    expect(topology.brokers[0].partitions).toEqual([
      { partitionId: 1, role: 'LEADER', health: 'HEALTHY' },
      { partitionId: 2, role: 'LEADER', health: 'HEALTHY' },
      { partitionId: 3, role: 'LEADER', health: 'HEALTHY' },
    ]);
    expect(broker.commands).toEqual([]);
  });

  describe('DeployResource', () => {
    test('writes DEPLOYMENT CREATE on partition 1 and answers from the CREATED record', async () => {
      const deploymentKey = keyOn(1);
      const processDefinitionKey = encodeKey(4, 7n); // beyond 2^53: must survive the trip as a string
      broker.respond = (sent) =>
        eventFor(sent, {
          ...sent.command.value,
          deploymentKey,
          processesMetadata: [
            { bpmnProcessId: 'order', version: 3, processDefinitionKey, resourceName: 'order.bpmn', checksum: '', duplicate: false, tenantId: '<default>', deploymentKey, versionTag: '' },
          ],
        } as RecordValue);

      const response = await zeebe.deployResource({ process: BPMN, name: 'order.bpmn' });

      expect(broker.commands).toHaveLength(1);
      const [{ partitionId, command }] = broker.commands;
      expect(partitionId).toBe(1);
      expect(command).toMatchObject({ valueType: 'DEPLOYMENT', intent: 'CREATE', key: -1n, value: { tenantId: '<default>' } });
      const resources = command.value.resources as { resourceName: string; resource: Uint8Array }[];
      expect(resources.map((resource) => resource.resourceName)).toEqual(['order.bpmn']);
      expect(Buffer.from(resources[0].resource).equals(BPMN)).toBe(true);
      expect(response.key).toBe(deploymentKey.toString());
      expect(response.tenantId).toBe('<default>');
      expect(response.deployments).toEqual([
        {
          Metadata: 'process',
          process: { bpmnProcessId: 'order', version: 3, processDefinitionKey: processDefinitionKey.toString(), resourceName: 'order.bpmn', tenantId: '<default>' },
        },
      ]);
    });

    test('refuses a deployment without resources before sending anything', async () => {
      const error = await failure(zeebe.deployResources([]));

      expect(error.code).toBe(3);
      expect(error.details).toBe("Expected to deploy at least one resource, but 'resources' is empty");
      expect(broker.commands).toEqual([]);
    });

    test('the deprecated DeployProcess writes the same command and answers with the processes', async () => {
      const processDefinitionKey = keyOn(1);
      broker.respond = (sent) =>
        eventFor(sent, {
          ...sent.command.value,
          deploymentKey: 77n,
          processesMetadata: [{ bpmnProcessId: 'order', version: 1, processDefinitionKey, resourceName: 'order.bpmn', tenantId: '<default>' }],
        } as RecordValue);

      const response = await callUnary(raw, 'DeployProcess', { processes: [{ name: 'order.bpmn', definition: BPMN }] });

      expect(broker.commands[0].command).toMatchObject({ valueType: 'DEPLOYMENT', intent: 'CREATE' });
      expect(response).toEqual({
        key: '77',
        processes: [{ bpmnProcessId: 'order', version: 1, processDefinitionKey: processDefinitionKey.toString(), resourceName: 'order.bpmn', tenantId: '<default>' }],
      });
    });
  });

  describe('CreateProcessInstance', () => {
    test('writes PROCESS_INSTANCE_CREATION CREATE on the next partition and answers from CREATED', async () => {
      const processInstanceKey = encodeKey(4, 99n);
      broker.respond = (sent) =>
        eventFor(sent, { ...sent.command.value, processInstanceKey, processDefinitionKey: 123n, version: 2 });

      const response = await zeebe.createProcessInstance({ bpmnProcessId: 'order', variables: { amount: 42, customer: { name: 'Ada' } } });

      expect(broker.commands).toHaveLength(1);
      const [{ partitionId, command }] = broker.commands;
      expect(broker.partitions).toContain(partitionId);
      expect(command).toEqual({
        valueType: 'PROCESS_INSTANCE_CREATION',
        intent: 'CREATE',
        key: -1n,
        value: {
          bpmnProcessId: 'order',
          version: -1,
          processDefinitionKey: -1n,
          processInstanceKey: -1n,
          variables: { amount: 42, customer: { name: 'Ada' } },
          fetchVariables: [],
          startInstructions: [],
          tenantId: '<default>',
        },
      });
      expect(response).toEqual({
        processDefinitionKey: '123',
        bpmnProcessId: 'order',
        version: 2,
        processInstanceKey: processInstanceKey.toString(),
        tenantId: '<default>',
      });
    });

    test('passes start instructions, the version and the tenant', async () => {
      await zeebe.createProcessInstance({
        bpmnProcessId: 'order',
        version: 4,
        variables: {},
        startInstructions: [{ elementId: 'ship' }],
        tenantId: 'acme',
      });

      expect(broker.commands[0].command.value).toMatchObject({ version: 4, startInstructions: [{ elementId: 'ship' }], tenantId: 'acme' });
    });

    test('keeps 64-bit integers in variables exact', async () => {
      await zeebe.createProcessInstance({ bpmnProcessId: 'order', variables: { orderId: 9007199254740993n } as never });

      expect(broker.commands[0].command.value.variables).toEqual({ orderId: 9007199254740993n });
    });

    test('creates by processDefinitionKey, which the Node SDK never sends but other clients do', async () => {
      await callUnary(raw, 'CreateProcessInstance', { processDefinitionKey: '2251799813685249', variables: '{"a":1}' });

      expect(broker.commands[0].command.value).toMatchObject({ bpmnProcessId: '', processDefinitionKey: 2251799813685249n, variables: { a: 1 } });
    });

    test('refuses a request that names no process', async () => {
      const error = await failure(zeebe.createProcessInstance({ bpmnProcessId: '', variables: {} }));

      expect(error.code).toBe(3);
      expect(error.details).toBe("Expected either a 'bpmnProcessId' or a 'processDefinitionKey', but none was given");
      expect(broker.commands).toEqual([]);
    });

    test('refuses variables that are not a JSON object', async () => {
      // The Node SDK refuses to send such variables itself, so this request comes from a plain client.
      const error = (await failure(callUnary(raw, 'CreateProcessInstance', { bpmnProcessId: 'order', variables: '"a string"' }))) as GrpcError;

      expect(error.code).toBe(3);
      expect(error.details).toBe('Expected to parse variables as a JSON object, but got: "a string"');
      expect(broker.commands).toEqual([]);
    });
  });

  describe('CreateProcessInstanceWithResult', () => {
    test('awaits PROCESS_INSTANCE_RESULT COMPLETED with the request timeout and returns its variables', async () => {
      broker.respond = (sent) =>
        eventFor(sent, { bpmnProcessId: 'order', version: 1, processDefinitionKey: 5n, processInstanceKey: 6n, variables: { total: 99.5 }, tenantId: '<default>' });

      const response = await zeebe.createProcessInstanceWithResult({
        bpmnProcessId: 'order',
        variables: { amount: 1 },
        fetchVariables: ['total'],
        requestTimeout: 2_500,
      });

      const [{ command, timeoutMs }] = broker.commands;
      expect(command).toMatchObject({
        valueType: 'PROCESS_INSTANCE_CREATION',
        intent: 'CREATE_WITH_AWAITING_RESULT',
        value: { bpmnProcessId: 'order', variables: { amount: 1 }, fetchVariables: ['total'] },
      });
      expect(timeoutMs).toBe(2_500);
      expect(response).toMatchObject({ processInstanceKey: '6', processDefinitionKey: '5', variables: { total: 99.5 } });
    });

    test("uses the gateway's request timeout when the request names none", async () => {
      await zeebe.createProcessInstanceWithResult({ bpmnProcessId: 'order', variables: {} });

      expect(broker.commands[0].timeoutMs).toBe(REQUEST_TIMEOUT_DEFAULT_MS);
    });

    test('answers DEADLINE_EXCEEDED when the broker client times out', async () => {
      broker.respond = () => {
        throw new TributaryError('DEADLINE_EXCEEDED', 'Expected the process instance to complete within 2500 ms, but it did not');
      };

      const error = await failure(zeebe.createProcessInstanceWithResult({ bpmnProcessId: 'order', variables: {}, requestTimeout: 2_500 }));

      expect(error.code).toBe(4);
      expect(error.details).toBe('Expected the process instance to complete within 2500 ms, but it did not');
    });
  });

  describe('keyed commands go to the partition of their key', () => {
    const jobKey = encodeKey(2, 11n);

    test('CancelProcessInstance -> PROCESS_INSTANCE CANCEL', async () => {
      const processInstanceKey = encodeKey(3, 12n);

      await zeebe.cancelProcessInstance(processInstanceKey.toString());

      expect(broker.commands).toHaveLength(1);
      expect(broker.commands[0].partitionId).toBe(3);
      expect(broker.commands[0].command).toMatchObject({
        valueType: 'PROCESS_INSTANCE',
        intent: 'CANCEL',
        key: processInstanceKey,
        value: { processInstanceKey },
      });
    });

    test('ModifyProcessInstance -> PROCESS_INSTANCE_MODIFICATION MODIFY with the instructions', async () => {
      const processInstanceKey = encodeKey(3, 12n);

      await zeebe.modifyProcessInstance({
        processInstanceKey: processInstanceKey.toString(),
        activateInstructions: [
          { elementId: 'ship', ancestorElementInstanceKey: '-1', variableInstructions: [{ scopeId: 'ship', variables: { express: true } }] },
        ],
        terminateInstructions: [{ elementInstanceKey: encodeKey(3, 13n).toString() }],
      });

      expect(broker.commands).toHaveLength(1);
      expect(broker.commands[0].partitionId).toBe(3);
      expect(broker.commands[0].command).toMatchObject({
        valueType: 'PROCESS_INSTANCE_MODIFICATION',
        intent: 'MODIFY',
        key: processInstanceKey,
        value: {
          processInstanceKey,
          activateInstructions: [{ elementId: 'ship', ancestorScopeKey: -1n, variableInstructions: [{ elementId: 'ship', variables: { express: true } }] }],
          terminateInstructions: [{ elementInstanceKey: encodeKey(3, 13n) }],
        },
      });
    });

    test('CompleteJob -> JOB COMPLETE with the variables', async () => {
      await zeebe.completeJob({ jobKey: jobKey.toString(), variables: { approved: true } });

      expect(broker.commands[0].partitionId).toBe(2);
      expect(broker.commands[0].command).toMatchObject({ valueType: 'JOB', intent: 'COMPLETE', key: jobKey, value: { variables: { approved: true } } });
    });

    test('FailJob -> JOB FAIL with retries, message, back-off and variables', async () => {
      await zeebe.failJob({ jobKey: jobKey.toString(), retries: 2, errorMessage: 'timeout calling shop', retryBackOff: 1_500, variables: { attempt: 1 } });

      expect(broker.commands[0].command).toMatchObject({
        valueType: 'JOB',
        intent: 'FAIL',
        key: jobKey,
        value: { retries: 2, errorMessage: 'timeout calling shop', retryBackoff: 1_500, variables: { attempt: 1 } },
      });
    });

    test('ThrowError -> JOB THROW_ERROR with code, message and variables', async () => {
      await zeebe.throwError({ jobKey: jobKey.toString(), errorCode: 'OUT_OF_STOCK', errorMessage: 'no items', variables: { sku: 'a1' } });

      expect(broker.commands[0].command).toMatchObject({
        valueType: 'JOB',
        intent: 'THROW_ERROR',
        key: jobKey,
        value: { errorCode: 'OUT_OF_STOCK', errorMessage: 'no items', variables: { sku: 'a1' } },
      });
    });

    test('UpdateJobRetries -> JOB UPDATE_RETRIES', async () => {
      await zeebe.updateJobRetries({ jobKey: jobKey.toString(), retries: 5 });

      expect(broker.commands[0].command).toMatchObject({ valueType: 'JOB', intent: 'UPDATE_RETRIES', key: jobKey, value: { retries: 5 } });
    });

    test('UpdateJobTimeout -> JOB UPDATE_TIMEOUT', async () => {
      await zeebe.updateJobTimeout({ jobKey: jobKey.toString(), timeout: 60_000 });

      expect(broker.commands[0].command).toMatchObject({ valueType: 'JOB', intent: 'UPDATE_TIMEOUT', key: jobKey, value: { timeout: 60_000 } });
    });

    test('SetVariables -> VARIABLE_DOCUMENT UPDATE, answered with the record key', async () => {
      const scopeKey = encodeKey(1, 13n);
      const updatedKey = encodeKey(1, 14n);
      broker.respond = (sent) => ({ ...eventFor(sent), key: updatedKey });

      const local = await zeebe.setVariables({ elementInstanceKey: scopeKey.toString(), variables: { a: 1 }, local: true });
      await zeebe.setVariables({ elementInstanceKey: scopeKey.toString(), variables: { b: 2 }, local: false });

      expect(local).toEqual({ key: updatedKey.toString() });
      expect(broker.commands.map((sent) => sent.command)).toEqual([
        { valueType: 'VARIABLE_DOCUMENT', intent: 'UPDATE', key: -1n, value: { scopeKey, updateSemantics: 'LOCAL', variables: { a: 1 }, tenantId: '<default>' } },
        { valueType: 'VARIABLE_DOCUMENT', intent: 'UPDATE', key: -1n, value: { scopeKey, updateSemantics: 'PROPAGATE', variables: { b: 2 }, tenantId: '<default>' } },
      ]);
      expect(broker.commands[0].partitionId).toBe(1);
    });

    test('ResolveIncident -> INCIDENT RESOLVE', async () => {
      const incidentKey = encodeKey(3, 15n);

      await zeebe.resolveIncident({ incidentKey: incidentKey.toString() });

      expect(broker.commands[0].partitionId).toBe(3);
      expect(broker.commands[0].command).toMatchObject({ valueType: 'INCIDENT', intent: 'RESOLVE', key: incidentKey });
    });
  });

  describe('errors', () => {
    test('refuses a key that is not a positive 64-bit integer', async () => {
      const error = await failure(zeebe.completeJob({ jobKey: '-5', variables: {} }));

      expect(error.code).toBe(3);
      expect(error.details).toBe("Expected 'jobKey' to be a key (a positive 64-bit integer), but got '-5'");
      expect(broker.commands).toEqual([]);
    });

    test('answers NOT_FOUND for a key of a partition the cluster does not have', async () => {
      const error = await failure(zeebe.updateJobRetries({ jobKey: encodeKey(9, 1n).toString(), retries: 1 }));

      expect(error.code).toBe(5);
      expect(error.details).toBe(`Expected 'jobKey' ${encodeKey(9, 1n)} to belong to one of the partitions 1, 2, 3, but it belongs to partition 9`);
      expect(broker.commands).toEqual([]);
    });

    test('refuses variables that are a JSON array', async () => {
      // The SDK passes a string through as the JSON text.
      const error = await failure(zeebe.setVariables({ elementInstanceKey: keyOn(1).toString(), variables: '[1,2]', local: false }));

      expect(error.code).toBe(3);
      expect(error.details).toBe('Expected to parse variables as a JSON object, but got: [1,2]');
      expect(broker.commands).toEqual([]);
    });

    test('refuses variables that are not JSON', async () => {
      const error = await failure(zeebe.setVariables({ elementInstanceKey: keyOn(1).toString(), variables: '{"a":', local: false }));

      expect(error.code).toBe(3);
      expect(error.details).toMatch(/^Expected to parse variables as a JSON object, but got: \{"a":/);
    });

    test.each<[RejectionType, number]>([
      ['INVALID_ARGUMENT', 3],
      ['NOT_FOUND', 5],
      ['ALREADY_EXISTS', 6],
      ['INVALID_STATE', 9],
      ['PROCESSING_ERROR', 13],
      ['EXCEEDED_BATCH_RECORD_SIZE', 8],
      ['FORBIDDEN', 7],
    ])('a %s rejection answers status %i with Zeebe\'s message', async (rejectionType, code) => {
      const jobKey = keyOn(2);
      const reason = `Expected to fail job with key '${jobKey}', but it is not activated`;
      broker.respond = (sent) => rejectionOf(sent, rejectionType, reason);

      const error = await failure(zeebe.failJob({ jobKey: jobKey.toString(), retries: 1, errorMessage: 'x', retryBackOff: 0 }));

      expect(error.code).toBe(code);
      expect(error.details).toBe(`Command 'FAIL' rejected with code '${rejectionType}': ${reason}`);
    });

    test('a TributaryError of the broker client keeps its status and message', async () => {
      broker.respond = () => {
        throw new TributaryError('PARTITION_UNAVAILABLE', 'Expected a leader for partition 2, but there is none');
      };

      const error = await failure(zeebe.completeJob({ jobKey: encodeKey(2, 1n).toString(), variables: {} }));

      expect(error.code).toBe(14);
      expect(error.details).toBe('Expected a leader for partition 2, but there is none');
      expect(logged).toEqual([]);
    });

    test('any other exception answers INTERNAL with its message, and is logged', async () => {
      broker.respond = () => {
        throw new Error('disk on fire');
      };

      const error = await failure(zeebe.resolveIncident({ incidentKey: encodeKey(1, 1n).toString() }));

      expect(error.code).toBe(13);
      expect(error.details).toBe('Unexpected error in ResolveIncident: disk on fire');
      expect(logged).toEqual(['Unexpected error in ResolveIncident: disk on fire']);
    });

    test('refuses parts of a request it does not support yet, rather than ignoring them', async () => {
      const withResult = await failure(callUnary(raw, 'CompleteJob', { jobKey: encodeKey(1, 1n).toString(), result: { denied: true } }));
      const withRuntimeInstructions = await failure(
        callUnary(raw, 'CreateProcessInstance', { bpmnProcessId: 'order', runtimeInstructions: [{ terminate: { afterElementId: 'ship' } }] }),
      );

      expect(withResult).toMatchObject({ code: 12, details: 'Tributary does not implement job results (CompleteJob.result) yet' });
      expect(withRuntimeInstructions).toMatchObject({
        code: 12,
        details: 'Tributary does not implement runtime instructions of CreateProcessInstance yet',
      });
      expect(broker.commands).toEqual([]);
    });

    test.each([
      ['EvaluateDecision', () => zeebe.evaluateDecision({ decisionId: 'dish', variables: {} })],
      ['MigrateProcessInstance', () => zeebe.migrateProcessInstance({ processInstanceKey: '2251799813685249', migrationPlan: { targetProcessDefinitionKey: '2251799813685250', mappingInstructions: [] } })],
    ])('%s answers UNIMPLEMENTED with its name', async (rpc, call) => {
      const error = await failure(call());

      expect(error.code).toBe(12);
      expect(error.details).toBe(`Tributary does not implement ${rpc} yet`);
      expect(broker.commands).toEqual([]);
    });
  });
});

describe('GatewayServer limits and lifecycle', () => {
  test('refuses a request above maxMessageSizeBytes with RESOURCE_EXHAUSTED', async () => {
    const broker = new FakeBrokerClient();
    const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0, maxMessageSizeBytes: 16 * 1024 });
    const port = await server.start();
    const zeebe = officialClient(port);
    try {
      // Random bytes, so the client's gzip compression cannot shrink them below the limit.
      const error = await failure(zeebe.deployResource({ process: randomBytes(64 * 1024), name: 'big.bpmn' }));

      expect(error.code).toBe(8);
      expect(broker.commands).toEqual([]);
    } finally {
      await zeebe.close();
      await server.stop();
    }
  });

  test('start() picks a free port for port 0, and stop() lets a call in flight finish', async () => {
    const broker = new FakeBrokerClient();
    let release: () => void = () => {};
    broker.respond = (sent) => new Promise((resolve) => (release = () => resolve(eventFor(sent))));
    const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0 });
    const port = await server.start();
    const zeebe = officialClient(port);
    try {
      expect(port).toBeGreaterThan(0);
      await zeebe.topology(); // the SDK finishes its set-up asynchronously; completeJob needs it done
      const completing = zeebe.completeJob({ jobKey: encodeKey(1, 1n).toString(), variables: {} });
      await until(() => broker.commands.length === 1);

      const stopping = server.stop();
      release();

      await expect(completing).resolves.toBeDefined();
      await stopping;
    } finally {
      await zeebe.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
