import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConnectorsConfig, validateConnectorsConfig } from './connectors-config.js';

const ORDERS = {
  name: 'orders',
  topic: 'orders',
  groupId: 'tributary-orders',
  format: 'json',
  action: 'create-instance',
  bpmnProcessId: 'order-process',
  variables: '=value',
  activationCondition: '=value.total > 0',
  deadLetterTopic: 'orders-dlq',
};
const PAYMENTS = {
  name: 'payments',
  topic: 'payments',
  action: 'publish-message',
  messageName: 'payment-received',
  correlationKey: '=value.orderId',
  messageId: '=topic + "-" + string(partition) + "-" + string(offset)',
  timeToLive: 'PT1H',
  variables: '=value',
};

describe('connectors configuration', () => {
  test('the example of issue 7 is valid, with defaults filled in', () => {
    // given / when
    const validation = validateConnectorsConfig({ kafka: { brokers: ['127.0.0.1:9092'] }, inbound: [ORDERS, PAYMENTS] });

    // then
    expect(validation.ok).toBe(true);
    if (!validation.ok) return;
    const [orders, payments] = validation.config.inbound;
    expect(orders).toMatchObject({ name: 'orders', format: 'json', fromBeginning: true, action: 'create-instance', bpmnProcessId: 'order-process', deadLetterTopic: 'orders-dlq' });
    expect(payments).toMatchObject({ groupId: 'tributary-payments', format: 'json', messageName: 'payment-received', timeToLiveMs: 3_600_000 });
    expect(validation.config.kafka).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'tributary-connectors' });
  });

  test('every problem is reported at once, each with its path', () => {
    // given
    const document = {
      kafka: { brokers: ['no-port', 42] },
      inbound: [
        { ...ORDERS, format: 'avro', bpmnProcessId: undefined, variables: '=value +', colour: 'red' },
        { ...PAYMENTS, name: 'orders', correlationKey: undefined, timeToLive: 'P1M' },
        { name: 'x', topic: 'x', action: 'delete-everything' },
        'not an object',
      ],
    };

    // when
    const validation = validateConnectorsConfig(document);

    // then
    expect(validation.ok).toBe(false);
    if (validation.ok) return;
    const paths = validation.problems.map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'kafka.brokers[0]',
        'kafka.brokers[1]',
        'inbound[0].colour',
        'inbound[0].format',
        'inbound[0].variables',
        'inbound[0].bpmnProcessId',
        'inbound[1].correlationKey',
        'inbound[1].timeToLive',
        'inbound[1].name',
        'inbound[2].action',
        'inbound[3]',
      ]),
    );
    expect(validation.problems.find((problem) => problem.path === 'inbound[0].format')?.message).toBe("Expected one of json, string, but found \"avro\"");
    expect(validation.problems.find((problem) => problem.path === 'inbound[1].name')?.message).toBe("Expected a unique name, but 'orders' is also used by inbound[0]");
  });

  test('fields of the other action are refused', () => {
    // given / when
    const validation = validateConnectorsConfig({
      kafka: { brokers: ['k:9092'] },
      inbound: [{ ...ORDERS, messageName: 'm' }, { ...PAYMENTS, bpmnProcessId: 'p' }],
    });

    // then
    expect(validation.ok ? [] : validation.problems).toEqual([
      { path: 'inbound[0].messageName', message: 'Only publish-message connectors take this field' },
      { path: 'inbound[1].bpmnProcessId', message: 'Only create-instance connectors take this field' },
    ]);
  });

  test('a missing kafka section and an empty inbound list are reported together', () => {
    // given / when
    const validation = validateConnectorsConfig({ inbound: [] });

    // then
    expect(validation.ok ? [] : validation.problems.map((problem) => problem.path)).toEqual(['kafka', 'inbound']);
  });

  test('a JSON file is loaded; a YAML file is refused with the reason (no yaml package yet)', () => {
    // given
    const directory = mkdtempSync(join(tmpdir(), 'tributary-connectors-'));
    const json = join(directory, 'connectors.json');
    writeFileSync(json, JSON.stringify({ kafka: { brokers: ['127.0.0.1:9092'] }, inbound: [PAYMENTS] }));
    const yaml = join(directory, 'connectors.yaml');
    writeFileSync(yaml, 'kafka: {}');
    const broken = join(directory, 'broken.json');
    writeFileSync(broken, '{');

    // when / then
    expect(loadConnectorsConfig(json).ok).toBe(true);
    expect(loadConnectorsConfig(yaml)).toMatchObject({ ok: false, problems: [{ path: '', message: expect.stringContaining('YAML, which is not supported yet') }] });
    expect(loadConnectorsConfig(broken)).toMatchObject({ ok: false, problems: [{ path: '', message: expect.stringContaining('readable JSON document') }] });
  });
});
