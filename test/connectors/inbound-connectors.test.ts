import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ConnectorsRunner,
  DEAD_LETTER_HEADERS,
  GrpcCommandGateway,
  KafkajsRecordConsumer,
  validateConnectorsConfig,
  type ConnectorEvent,
} from '../../src/connectors/index.js';
import { GatewayClient } from '../../src/cli/gateway-client.js';
import { KafkajsProducer } from '../../src/exporters/kafka/kafkajs-producer.js';
import { consumeTopics, KAFKA_START_TIMEOUT_MS, KafkaProcess, type ConsumedMessage } from '../kafka/kafka-process.js';
import { oneTaskProcess } from '../support/bpmn.js';
import { BrokerProcess, eventually } from '../support/broker-process.js';
import { processInstanceCompleted } from '../support/exported-records.js';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

/**
 * The inbound connectors against a real Kafka (scripts/kafka.sh) and a real broker (child process exporting JSON
 * lines), one of each for the whole file; each test has its own topics. What the tests look at is what a user
 * sees: instances and variables in the exported records, messages in the dead-letter topic, the CLI's output.
 */

const TEST_TIMEOUT_MS = 90_000;
const ORDER_PROCESS = 'connector-order';
const MESSAGE_PROCESS = 'message-catch';

let kafka: KafkaProcess | undefined;
let kafkaStartError: unknown;
let broker: BrokerProcess | undefined;
let client: GatewayClient | undefined;
let testNumber = 0;

beforeAll(async () => {
  try {
    kafka = await KafkaProcess.start();
  } catch (error) {
    kafkaStartError = error;
    return;
  }
  broker = await BrokerProcess.start({ exportJsonl: true });
  client = new GatewayClient(broker.address);
  await client.call('DeployResource', {
    resources: [
      { name: `${ORDER_PROCESS}.bpmn`, content: oneTaskProcess(ORDER_PROCESS, 'connector-work') },
      { name: 'message-catch.bpmn', content: readFileSync(join(REPOSITORY_ROOT, 'test', 'fixtures', 'bpmn', 'message-catch.bpmn')) },
    ],
    tenantId: '',
  });
}, KAFKA_START_TIMEOUT_MS);

afterAll(async () => {
  client?.close();
  await broker?.dispose();
  await kafka?.dispose();
});

/** Kafka and the broker of this file; fails with the reason Kafka could not start (never skipped). */
function started(): { kafka: KafkaProcess; broker: BrokerProcess; client: GatewayClient; prefix: string } {
  if (kafkaStartError !== undefined || kafka === undefined) throw kafkaStartError ?? new Error('Expected Kafka to have started');
  if (broker === undefined || client === undefined) throw new Error('Expected the broker to have started');
  return { kafka, broker, client, prefix: `c${++testNumber}-${Date.now()}` };
}

async function produce(bootstrap: string, topic: string, values: string[]): Promise<void> {
  const producer = new kafkajs.Kafka({ clientId: 'connector-test', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: values.map((value, index) => ({ key: `k${index}`, value, headers: { source: 'test' } })) });
  } finally {
    await producer.disconnect();
  }
}

/** Runs connectors in this process (the same code `tributary connect` runs), recording their events. */
async function runConnectors(document: object, gatewayClient: GatewayClient): Promise<{ runner: ConnectorsRunner; events: ConnectorEvent[] }> {
  const validation = validateConnectorsConfig(document);
  if (!validation.ok) throw new Error(`Expected a valid configuration, but: ${JSON.stringify(validation.problems)}`);
  const events: ConnectorEvent[] = [];
  const runner = new ConnectorsRunner(validation.config, {
    gateway: new GrpcCommandGateway(gatewayClient),
    deadLetters: new KafkajsProducer({ brokers: validation.config.kafka.brokers }),
    createConsumer: (options) => new KafkajsRecordConsumer(options),
    onEvent: (event) => events.push(event),
  });
  await runner.start();
  return { runner, events };
}

/** The variable values (JSON text) named `name` that instances of the process got. */
function variableValues(running: BrokerProcess, name: string): string[] {
  return running
    .exportedRecords()
    .filter((record) => record.valueType === 'VARIABLE' && record.intent === 'CREATED' && record.value.name === name)
    .map((record) => String(record.value.value));
}

describe('inbound Kafka connectors', () => {
  test(
    '`tributary connect` starts an instance per record; malformed and unmatched records go to the dead-letter topic and the next record is still processed',
    async () => {
      // given
      const { kafka, broker, prefix } = started();
      const topic = `${prefix}-orders`;
      const deadLetterTopic = `${prefix}-dlq`;
      const file = join(broker.root, `${prefix}-connectors.json`);
      writeFileSync(
        file,
        JSON.stringify({
          kafka: { brokers: [kafka.bootstrap] },
          inbound: [{ name: 'orders', topic, action: 'create-instance', bpmnProcessId: ORDER_PROCESS, variables: '={connectorOrderId: value.id}', activationCondition: '=value.total > 0', deadLetterTopic }],
        }),
      );
      await produce(kafka.bootstrap, topic, ['{"id":"o-1","total":5}', '{broken', '{"id":"o-2","total":0}', '{"id":"o-3","total":7}']);

      // when
      const connect = spawn(process.execPath, [join(REPOSITORY_ROOT, 'bin', 'tributary'), 'connect', '--connectors', file, '--address', broker.address, '--json', '--metrics-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      connect.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      connect.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      try {
        // then
        const values = await eventually('two instances with their order ids', () => {
          const found = variableValues(broker, 'connectorOrderId');
          return found.length >= 2 && found;
        }, 45_000).catch((error: Error) => {
          throw new Error(`${error.message}\n--- connect output ---\n${output}`);
        });
        expect(values.sort()).toEqual(['"o-1"', '"o-3"']);
        const inDeadLetterTopic = (messages: readonly ConsumedMessage[]) => messages.filter((message) => message.topic === deadLetterTopic);
        const deadLetters = inDeadLetterTopic(await consumeTopics(kafka.bootstrap, prefix, (messages) => inDeadLetterTopic(messages).length >= 2));
        expect(deadLetters.map((message) => [message.value.toString(), message.headers[DEAD_LETTER_HEADERS.cause], message.headers[DEAD_LETTER_HEADERS.offset]])).toEqual([
          ['{broken', 'invalid', '1'],
          ['{"id":"o-2","total":0}', 'unmatched', '2'],
        ]);
        expect(deadLetters[0].headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^Expected the record value to be JSON/);
        expect(deadLetters[0].headers.source).toBe('test');
        await eventually('the connector to report every record', () => output.split('\n').filter((line) => line.startsWith('{')).length >= 4);
        const metricsPort = /Connector metrics on port (\d+)/.exec(output)?.[1];
        const lag = await eventually('the lag of the topic\'s partition on /metrics', async () => {
          const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
          return /^tributary_connector_consumer_lag_records\{connector="orders",group="tributary-orders",topic="[^"]+",partition="0"\} (\d+)$/m.exec(body)?.[1] === '0' && body;
        }, 20_000);
        expect(lag).toContain('tributary_connector_records_total{connector="orders",outcome="delivered"} 2');
      } finally {
        await stop(connect);
      }
      expect(output).toContain('"kind":"dead-lettered"');
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'records publish messages that correlate to waiting instances, and replaying the same offsets in a new group publishes nothing twice',
    async () => {
      // given
      const { kafka, broker, client, prefix } = started();
      const topic = `${prefix}-payments`;
      const orderIds = ['p-1', 'p-2', 'p-3'].map((id) => `${prefix}-${id}`);
      const instances = await Promise.all(
        orderIds.map((orderId) => client.call<any>('CreateProcessInstance', { bpmnProcessId: MESSAGE_PROCESS, version: -1, variables: JSON.stringify({ orderId }), tenantId: '' })),
      );
      await produce(kafka.bootstrap, topic, orderIds.map((orderId) => JSON.stringify({ orderId, amount: 10 })));
      const inbound = { name: 'payments', topic, action: 'publish-message', messageName: 'payment-received', correlationKey: '=value.orderId', timeToLive: 'PT1H', variables: '=value' };

      // when
      const first = await runConnectors({ kafka: { brokers: [kafka.bootstrap] }, inbound: [{ ...inbound, groupId: `${prefix}-first` }] }, client);
      try {
        // then
        await eventually('every waiting instance to complete', () => instances.every((instance) => processInstanceCompleted(broker.exportedRecords(), String(instance.processInstanceKey))), 45_000);
      } finally {
        await first.runner.close();
      }
      expect(first.events.map((event) => event.kind)).toEqual(['delivered', 'delivered', 'delivered']);

      // when the same offsets are consumed again by a new group (as after a crash before the commit)
      const replay = await runConnectors({ kafka: { brokers: [kafka.bootstrap] }, inbound: [{ ...inbound, groupId: `${prefix}-replay` }] }, client);
      try {
        await eventually('the replayed records to be settled', () => replay.events.length >= 3, 45_000);
      } finally {
        await replay.runner.close();
      }

      // then
      expect(replay.events.map((event) => event.kind)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      const published = broker.exportedRecords().filter((record) => record.valueType === 'MESSAGE' && record.intent === 'PUBLISHED' && String(record.value.messageId).startsWith(`${topic}-`));
      expect(published.map((record) => record.value.messageId).sort()).toEqual([`${topic}-0-0`, `${topic}-0-1`, `${topic}-0-2`]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    'replaying create-instance records in a new consumer group starts no second instance: the gateway answers with the first ones',
    async () => {
      // given
      const { kafka, broker, client, prefix } = started();
      const topic = `${prefix}-replayed-orders`;
      await produce(kafka.bootstrap, topic, ['{"id":"r-1"}', '{"id":"r-2"}', '{"id":"r-3"}']);
      const inbound = { name: 'replayed', topic, action: 'create-instance', bpmnProcessId: ORDER_PROCESS, variables: '={replayedOrderId: value.id}' };
      const instanceKeys = (events: ConnectorEvent[]) => events.map((event) => (event.kind === 'delivered' ? event.receipt.processInstanceKey : event.kind)).sort();
      const first = await runConnectors({ kafka: { brokers: [kafka.bootstrap] }, inbound: [{ ...inbound, groupId: `${prefix}-first` }], outbound: false }, client);
      try {
        await eventually('three records delivered', () => first.events.length >= 3, 45_000);
      } finally {
        await first.runner.close();
      }

      // when the same offsets are consumed again by a new group (as after a crash before the offset commit)
      const replay = await runConnectors({ kafka: { brokers: [kafka.bootstrap] }, inbound: [{ ...inbound, groupId: `${prefix}-replay` }], outbound: false }, client);
      try {
        await eventually('the replayed records to be settled', () => replay.events.length >= 3, 45_000);
      } finally {
        await replay.runner.close();
      }

      // then
      expect(instanceKeys(replay.events)).toEqual(instanceKeys(first.events));
      await eventually('the instances to be exported', () => variableValues(broker, 'replayedOrderId').length >= 3, 20_000);
      expect(variableValues(broker, 'replayedOrderId').sort()).toEqual(['"r-1"', '"r-2"', '"r-3"']);
    },
    TEST_TIMEOUT_MS,
  );
});

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
