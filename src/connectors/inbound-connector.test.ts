import { describe, expect, test } from 'vitest';
import type { KafkaMessage, KafkaProducer } from '../exporters/kafka/kafka-producer.js';
import type { CommandGateway } from './command-gateway.js';
import { validateConnectorsConfig, type InboundConnectorConfig } from './connectors-config.js';
import type { InboundCommand } from './inbound-command.js';
import { DEAD_LETTER_HEADERS, InboundConnector, type ConnectorEvent } from './inbound-connector.js';
import type { InboundKafkaRecord } from './kafka-consumer.js';

function connectorConfig(inbound: object): InboundConnectorConfig {
  const validation = validateConnectorsConfig({ kafka: { brokers: ['k:9092'] }, inbound: [inbound] });
  if (!validation.ok) throw new Error(JSON.stringify(validation.problems));
  return validation.config.inbound[0];
}

const PAYMENTS = { name: 'payments', topic: 'payments', action: 'publish-message', messageName: 'paid', correlationKey: '=value.orderId', variables: '=value', deadLetterTopic: 'dlq' };
const ORDERS = { name: 'orders', topic: 'orders', action: 'create-instance', bpmnProcessId: 'order', variables: '={orderId: value.id, k: key}', activationCondition: '=value.total > 0', deadLetterTopic: 'dlq' };

function record(value: string, offset = 7): InboundKafkaRecord {
  return { topic: 'payments', partition: 2, offset: String(offset), key: Buffer.from('k1'), value: Buffer.from(value), headers: { origin: 'shop' }, timestampMs: 1_700_000_000_000 };
}

/** A gateway that answers from a script of outcomes (undefined: acknowledged), then acknowledges. */
function scriptedGateway(outcomes: ({ code: number; details: string } | undefined)[]): CommandGateway & { sent: InboundCommand[] } {
  const sent: InboundCommand[] = [];
  return {
    sent,
    async send(command) {
      sent.push(command);
      const outcome = outcomes.shift();
      if (outcome !== undefined) throw Object.assign(new Error(outcome.details), outcome);
    },
  };
}

function harness(inbound: object, gateway: CommandGateway) {
  const deadLetters: KafkaMessage[] = [];
  const producer: KafkaProducer = { send: async (messages) => void deadLetters.push(...messages), close: async () => undefined };
  const sleeps: number[] = [];
  const events: ConnectorEvent[] = [];
  const connector = new InboundConnector(connectorConfig(inbound), {
    gateway,
    deadLetters: producer,
    sleep: async (ms) => void sleeps.push(ms),
    onEvent: (event) => events.push(event),
    backoff: { initialDelayMs: 100, maxDelayMs: 400 },
  });
  return { connector, deadLetters, sleeps, events };
}

describe('inbound connector', () => {
  test('a publish-message record publishes with the default message id topic-partition-offset', async () => {
    // given
    const gateway = scriptedGateway([]);
    const { connector } = harness(PAYMENTS, gateway);

    // when
    await connector.handle(record('{"orderId":"o-1","amount":3}'));

    // then
    expect(gateway.sent).toEqual([{ kind: 'publish-message', name: 'paid', correlationKey: 'o-1', messageId: 'payments-2-7', timeToLiveMs: 0, variables: '{"orderId":"o-1","amount":3}' }]);
  });

  test('a create-instance record sees key, value and the record context in its FEEL', async () => {
    // given
    const gateway = scriptedGateway([]);
    const { connector } = harness(ORDERS, gateway);

    // when
    await connector.handle(record('{"id":"o-2","total":5}'));

    // then
    expect(gateway.sent).toEqual([{ kind: 'create-instance', bpmnProcessId: 'order', variables: '{"orderId":"o-2","k":"k1"}', idempotencyKey: 'payments-2-7:order' }]);
  });

  test('a malformed record goes to the dead-letter topic with its reason and own headers', async () => {
    // given
    const gateway = scriptedGateway([]);
    const { connector, deadLetters } = harness(PAYMENTS, gateway);

    // when
    await connector.handle(record('{not json'));

    // then
    expect(gateway.sent).toEqual([]);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0].topic).toBe('dlq');
    expect(deadLetters[0].value.toString()).toBe('{not json');
    expect(deadLetters[0].headers).toMatchObject({
      origin: 'shop',
      [DEAD_LETTER_HEADERS.cause]: 'invalid',
      [DEAD_LETTER_HEADERS.reason]: expect.stringContaining('Expected the record value to be JSON'),
      [DEAD_LETTER_HEADERS.topic]: 'payments',
      [DEAD_LETTER_HEADERS.partition]: '2',
      [DEAD_LETTER_HEADERS.offset]: '7',
    });
  });

  test('a record whose activation condition is false is dead-lettered as unmatched; one that fails is invalid', async () => {
    // given
    const gateway = scriptedGateway([]);
    const { connector, deadLetters } = harness({ ...ORDERS, activationCondition: '=value.urgent' }, gateway);

    // when
    await connector.handle(record('{"id":"o-3","urgent":false}'));
    await connector.handle(record('{"id":"o-4","urgent":"yes"}', 8));

    // then
    expect(gateway.sent).toEqual([]);
    expect(deadLetters.map((message) => message.headers[DEAD_LETTER_HEADERS.cause])).toEqual(['unmatched', 'invalid']);
  });

  test('RESOURCE_EXHAUSTED backs off with a growing delay and then delivers, dropping nothing', async () => {
    // given
    const exhausted = { code: 8, details: 'backpressure' };
    const gateway = scriptedGateway([exhausted, exhausted, exhausted, exhausted]);
    const { connector, sleeps, deadLetters } = harness(PAYMENTS, gateway);

    // when
    await connector.handle(record('{"orderId":"o-5"}'));

    // then
    expect(sleeps).toEqual([100, 200, 400, 400]);
    expect(gateway.sent).toHaveLength(5);
    expect(deadLetters).toEqual([]);
  });

  test('ALREADY_EXISTS on publish means the message was published before: settled, not dead-lettered', async () => {
    // given
    const gateway = scriptedGateway([{ code: 6, details: 'message with id payments-2-7 already published' }]);
    const { connector, deadLetters, events } = harness(PAYMENTS, gateway);

    // when
    await connector.handle(record('{"orderId":"o-6"}'));

    // then
    expect(deadLetters).toEqual([]);
    expect(events.map((event) => event.kind)).toEqual(['duplicate']);
  });

  test('a command the engine refuses (NOT_FOUND) goes to the dead-letter topic as undeliverable', async () => {
    // given
    const gateway = scriptedGateway([{ code: 5, details: "Expected to find process definition with process ID 'order', but none found" }]);
    const { connector, deadLetters } = harness(ORDERS, gateway);

    // when
    await connector.handle(record('{"id":"o-7","total":1}'));

    // then
    expect(deadLetters[0].headers[DEAD_LETTER_HEADERS.cause]).toBe('undeliverable');
    expect(deadLetters[0].headers[DEAD_LETTER_HEADERS.reason]).toBe("NOT_FOUND: Expected to find process definition with process ID 'order', but none found");
  });

  test('a stopped connector leaves the record uncommitted instead of settling it', async () => {
    // given
    const gateway = scriptedGateway([{ code: 14, details: 'down' }]);
    const { connector } = harness(PAYMENTS, gateway);
    connector.stop();

    // when / then
    await expect(connector.handle(record('{"orderId":"o-8"}'))).rejects.toThrow(/was stopped/);
  });
});
