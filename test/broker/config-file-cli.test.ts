import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { tempDir } from '../support/temp-dir.js';
import { tributaryCli } from '../support/tributary-cli.js';

describe('tributary broker --config', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('given a YAML file, then the broker runs with its settings, and flags given on the command line win', async () => {
    // given a file with two partitions, a JSON-lines exporter and a monitoring port the command line overrides
    const dir = tempDir();
    cleanups.push(dir.remove);
    const config = join(dir.path, 'broker.yaml');
    writeFileSync(config, `partitions: 2\nmonitoring: { port: 1 }\nexporters:\n  jsonl:\n    file: ${join(dir.path, 'records.jsonl')}\n`);

    // when
    const broker = await BrokerProcess.start({ args: ['--config', config] });
    cleanups.push(() => broker.dispose());

    // then
    const { body } = await broker.monitoring('/metrics');
    expect(body).toMatch(/^tributary_partition_healthy\{partition="2"\} 1$/m);
    expect(body).toMatch(/^tributary_exporter_lag_records\{partition="1",exporter="json-lines"\} \d+$/m);
  });

  it('given a file with unknown keys and wrong types, then the broker refuses to start and names every problem', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const config = join(dir.path, 'broker.yaml');
    writeFileSync(config, 'partiton: 2\ngateway: { port: many }\nexporters:\n  kafka:\n    brokers: [kafka]\n');

    const result = await tributaryCli(['broker', '--config', config, '--data-dir', join(dir.path, 'data')]);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Error: the configuration file '${config}' has 3 problems:`);
    expect(result.stderr).toContain('  partiton: Unknown key; expected one of');
    expect(result.stderr).toContain("  gateway.port: Expected a whole number, but got 'many'");
    expect(result.stderr).toContain("  exporters.kafka.brokers[0]: Expected host:port, but got 'kafka'");
  });
});
