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
    expect(validation.config.kafka).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'tributary-connectors', sessionTimeoutMs: 30_000 });
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
    expect(validation.problems.find((problem) => problem.path === 'inbound[0].format')?.message).toBe('Expected kafka.schemaRegistryUrl to be set: format avro decodes through a schema registry');
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

  test('the YAML file of issue 7 and the same document as JSON load to the same configuration', () => {
    // given
    const directory = mkdtempSync(join(tmpdir(), 'tributary-connectors-'));
    const yaml = join(directory, 'connectors.yaml');
    writeFileSync(
      yaml,
      [
        'kafka:',
        '  brokers: [127.0.0.1:9092]',
        'inbound:',
        '  - name: orders',
        '    topic: orders',
        '    groupId: tributary-orders',
        '    format: json                 # json | string',
        '    action: create-instance',
        '    bpmnProcessId: order-process',
        '    variables: "=value"',
        '    activationCondition: "=value.total > 0"',
        '    deadLetterTopic: orders-dlq',
        '  - name: payments',
        '    topic: payments',
        '    action: publish-message',
        '    messageName: payment-received',
        '    correlationKey: "=value.orderId"',
        '    messageId: "=topic + \\"-\\" + string(partition) + \\"-\\" + string(offset)"',
        '    timeToLive: PT1H',
        '    variables: "=value"',
        '',
      ].join('\n'),
    );
    const json = join(directory, 'connectors.json');
    writeFileSync(json, JSON.stringify({ kafka: { brokers: ['127.0.0.1:9092'] }, inbound: [ORDERS, PAYMENTS] }));

    // when
    const fromYaml = loadConnectorsConfig(yaml);
    const fromJson = loadConnectorsConfig(json);

    // then
    expect(fromYaml.ok).toBe(true);
    expect(fromJson.ok).toBe(true);
    if (!fromYaml.ok || !fromJson.ok) return;
    expect(fromYaml.config.inbound.map((connector) => [connector.name, connector.topic, connector.action, connector.timeToLiveMs])).toEqual([
      ['orders', 'orders', 'create-instance', 0],
      ['payments', 'payments', 'publish-message', 3_600_000],
    ]);
    expect(fromYaml.config.kafka).toEqual(fromJson.config.kafka);
    expect(fromYaml.config.outbound).toEqual(fromJson.config.outbound);
  });

  test('YAML syntax errors are reported with line and column; YAML validation problems with their paths', () => {
    // given
    const directory = mkdtempSync(join(tmpdir(), 'tributary-connectors-'));
    const broken = join(directory, 'broken.yml');
    writeFileSync(broken, 'kafka:\n  brokers: [127.0.0.1:9092\ninbound: x\n');
    const invalid = join(directory, 'invalid.yaml');
    writeFileSync(invalid, 'kafka:\n  brokers: [nowhere]\ninbound:\n  - name: p\n    topic: p\n    action: publish-message\n    messageName: m\nextra: 1\n');
    const brokenJson = join(directory, 'broken.json');
    writeFileSync(brokenJson, '{');

    // when
    const syntax = loadConnectorsConfig(broken);
    const validation = loadConnectorsConfig(invalid);

    // then
    expect(syntax).toMatchObject({ ok: false, problems: [{ path: '', message: expect.stringMatching(/to be a YAML document, but at line \d+, column \d+: /) }] });
    expect(validation.ok ? [] : validation.problems.map((problem) => problem.path)).toEqual(['extra', 'kafka.brokers[0]', 'inbound[0].correlationKey']);
    expect(loadConnectorsConfig(brokenJson)).toMatchObject({ ok: false, problems: [{ path: '', message: expect.stringContaining('readable JSON document') }] });
    expect(loadConnectorsConfig(join(directory, 'missing.yaml'))).toMatchObject({ ok: false, problems: [{ path: '', message: expect.stringContaining('to be readable') }] });
  });

  test('the outbound section: defaults, false to disable, and its own problems', () => {
    // given / when
    const defaults = validateConnectorsConfig({ kafka: { brokers: ['k:9092'] }, outbound: {} });
    const disabled = validateConnectorsConfig({ kafka: { brokers: ['k:9092'] }, inbound: [PAYMENTS], outbound: false });
    const invalid = validateConnectorsConfig({ kafka: { brokers: ['k:9092'] }, outbound: { maxJobsToActivate: 0, jobTimeout: 'soon', colour: 1 } });

    // then
    expect(defaults).toMatchObject({ ok: true, config: { inbound: [], outbound: { enabled: true, jobType: 'io.tributary:kafka-publish:1', maxJobsToActivate: 32, jobTimeoutMs: 60_000 } } });
    expect(disabled).toMatchObject({ ok: true, config: { outbound: { enabled: false } } });
    expect(invalid.ok ? [] : invalid.problems.map((problem) => problem.path)).toEqual(['outbound.colour', 'outbound.maxJobsToActivate', 'outbound.jobTimeout']);
  });

  test('the example in connectors/examples is valid', () => {
    // given / when
    const validation = loadConnectorsConfig(join(import.meta.dirname, '..', '..', 'connectors', 'examples', 'orders-and-payments.yaml'));

    // then
    expect(validation.ok ? validation.config.inbound.map((connector) => connector.name) : validation.problems).toEqual(['orders', 'payments']);
  });
});
