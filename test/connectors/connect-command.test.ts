import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { tributaryCli } from '../support/tributary-cli.js';

let directory: string | undefined;

afterEach(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

describe('tributary connect', () => {
  test('an invalid connectors file is refused before connecting, with every problem and its path', async () => {
    // given
    directory = mkdtempSync(join(tmpdir(), 'tributary-connect-'));
    const file = join(directory, 'connectors.json');
    writeFileSync(file, JSON.stringify({ kafka: { brokers: ['nowhere'] }, inbound: [{ name: 'payments', topic: 'payments', action: 'publish-message', messageName: 'paid' }] }));

    // when
    const result = await tributaryCli(['connect', '--connectors', file, '--address', '127.0.0.1:1']);

    // then
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Error: ${file} has 2 problem(s):`);
    expect(result.stderr).toContain('kafka.brokers[0]: Expected a host:port address, but found "nowhere"');
    expect(result.stderr).toContain('inbound[0].correlationKey: Required');
  });

  test('a YAML file is read; its problems are reported with their paths, and `tributary broker --connectors` refuses it too', async () => {
    // given
    directory = mkdtempSync(join(tmpdir(), 'tributary-connect-'));
    const file = join(directory, 'connectors.yaml');
    writeFileSync(file, 'kafka:\n  brokers: [127.0.0.1:9092]\ninbound:\n  - name: orders\n    topic: orders\n    action: create-instance\n    variables: "=value +"\n');

    // when
    const connect = await tributaryCli(['connect', '--connectors', file]);
    const broker = await tributaryCli(['broker', '--connectors', file, '--data-dir', join(directory, 'data'), '--port', '0', '--monitoring-port', '0']);

    // then
    for (const result of [connect, broker]) {
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Error: ${file} has 2 problem(s):`);
      expect(result.stderr).toContain('inbound[0].bpmnProcessId: Required');
      expect(result.stderr).toContain('inbound[0].variables: Invalid FEEL expression');
    }
  });
});
