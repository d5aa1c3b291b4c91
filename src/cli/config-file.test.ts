import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { BROKER_CONFIG_DEFAULTS } from '../broker/broker-config.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { brokerConfigWithFile, formatConfigFileProblems, loadBrokerConfigFile, validateBrokerConfigFile } from './config-file.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function fileWith(name: string, content: string): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const file = join(dir.path, name);
  writeFileSync(file, content);
  return file;
}

const YAML = `
dataDirectory: /var/lib/tributary
partitions: 3
gateway: { port: 26500 }
monitoring:
  port: 9601
allowUnknownCalledProcess: true
exporters:
  jsonl:
    file: records.jsonl
  kafka:
    brokers: [kafka-1:9092, kafka-2:9092]
    topicPrefix: wf
    format: avro
    key: key
    filters:
      recordTypes: [event]
      valueTypes: [PROCESS_INSTANCE, job]
      processIds: [order]
    schemaRegistryUrl: http://registry:8081
`;

describe('the broker configuration file', () => {
  test('given a YAML file, then every key maps onto the broker configuration', () => {
    // when
    const loaded = loadBrokerConfigFile(fileWith('broker.yaml', YAML));

    // then
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const config = brokerConfigWithFile(BROKER_CONFIG_DEFAULTS, loaded.config, {}, () => false);
    expect(config).toMatchObject({ dataDirectory: '/var/lib/tributary', partitionCount: 3, gatewayPort: 26500, monitoringPort: 9601, exportJsonlFile: 'records.jsonl', allowUnknownCalledProcess: true });
    expect(config.kafka).toEqual({
      brokers: ['kafka-1:9092', 'kafka-2:9092'],
      topicPrefix: 'wf',
      format: 'avro',
      keyField: 'key',
      filter: { recordTypes: ['EVENT'], valueTypes: ['PROCESS_INSTANCE', 'JOB'], bpmnProcessIds: ['order'] },
      schemaRegistryUrl: 'http://registry:8081',
      enabled: undefined,
    });
  });

  test('given flags on the command line, then they win over the file, and the file over the defaults', () => {
    // given
    const loaded = loadBrokerConfigFile(fileWith('broker.json', JSON.stringify({ partitions: 3, host: '10.0.0.1', exporters: { kafka: { brokers: ['k:9092'], format: 'avro' } } })));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const given = new Set(['partitions', 'kafkaFormat']);
    const fromFlags = { ...BROKER_CONFIG_DEFAULTS, partitionCount: 5 };

    // when
    const config = brokerConfigWithFile(fromFlags, loaded.config, { kafkaFormat: 'json' }, (name) => given.has(name));

    // then
    expect(config.partitionCount).toBe(5);
    expect(config.host).toBe('10.0.0.1');
    expect(config.gatewayPort).toBe(BROKER_CONFIG_DEFAULTS.gatewayPort);
    expect(config.kafka).toMatchObject({ brokers: ['k:9092'], format: 'json', topicPrefix: 'tributary' });
  });

  test('given a disabled exporter, then it is off but keeps its settings', () => {
    const loaded = validateBrokerConfigFile({ exporters: { kafka: { brokers: ['k:9092'], enabled: false }, jsonl: { file: 'x.jsonl', enabled: false } } });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const config = brokerConfigWithFile(BROKER_CONFIG_DEFAULTS, loaded.config, {}, () => false);
    expect(config.kafka?.enabled).toBe(false);
    expect(config.exportJsonlFile).toBeUndefined();
  });

  test('given unknown keys and wrong types, then every problem is reported with its path, all at once', () => {
    // when
    const loaded = validateBrokerConfigFile({
      partiton: 3,
      gateway: { port: 'many' },
      monitoring: 9600,
      exporters: { kafka: { brokers: ['k:9092', 5, 'nohost'], format: 'xml', filters: { valueTypes: ['JOBS'] }, extra: true }, jsonl: {} },
    });

    // then
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problems).toEqual([
      { path: 'partiton', message: expect.stringMatching(/^Unknown key; expected one of dataDirectory, host, nodeId, partitions, /) },
      { path: 'gateway.port', message: "Expected a whole number, but got 'many'" },
      { path: 'monitoring', message: 'Expected an object with port, but got 9600' },
      { path: 'exporters.kafka.brokers[1]', message: 'Expected a string, but got 5' },
      { path: 'exporters.kafka.brokers[2]', message: "Expected host:port, but got 'nohost'" },
      { path: 'exporters.kafka.format', message: "Expected one of json, avro, but got 'xml'" },
      { path: 'exporters.kafka.filters.valueTypes[0]', message: expect.stringMatching(/^Expected one of DEPLOYMENT, PROCESS, .*, but got 'JOBS'$/) },
      { path: 'exporters.kafka.extra', message: expect.stringMatching(/^Unknown key; expected one of brokers, /) },
      { path: 'exporters.jsonl.file', message: 'Expected a value, but it is missing' },
    ]);
    expect(formatConfigFileProblems('broker.yaml', loaded.problems)).toMatch(/^Error: the configuration file 'broker.yaml' has 9 problems:\n {2}partiton: Unknown key/);
  });

  test('given a file that is not YAML, then the problem names its line', () => {
    const loaded = loadBrokerConfigFile(fileWith('broker.yaml', 'partitions: 3\n  gateway: [\n'));
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.problems[0].message).toMatch(/^Expected '.*broker\.yaml' to be a YAML document, but at line \d+, column \d+/);
  });
});
