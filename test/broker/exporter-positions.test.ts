import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../../src/broker/broker-config.js';
import { Partition, type NewCommand } from '../../src/broker/partition.js';
import { PARTITION_SETTINGS_DEFAULTS } from '../../src/broker/partition-settings.js';
import { GatewayClient } from '../../src/cli/gateway-client.js';
import { RoundRobinJobStreams, type PendingResponse } from '../../src/engine/index.js';
import type { Record } from '../../src/protocol/index.js';
import { FIXTURES } from '../engine/engine-harness.js';
import { tempDir } from '../support/temp-dir.js';

const quiet = { info: () => {}, error: () => {} };

async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function exportedLines(file: string): { partitionId: number; position: number; valueType: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { partitionId: number; position: number; valueType: string });
}

function storedPosition(broker: Broker, exporterId: string): number | undefined {
  return (broker.partitions[0] as unknown as Partition).engine.state.exporterPositions.getPosition(exporterId);
}

describe('exporter positions stored through the log', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function brokerConfig(dataDirectory: string, overrides: Partial<BrokerConfig> = {}): BrokerConfig {
    return { ...BROKER_CONFIG_DEFAULTS, dataDirectory, host: '127.0.0.1', gatewayPort: 0, monitoringPort: 0, ...overrides };
  }

  async function start(config: BrokerConfig): Promise<Broker> {
    const broker = new Broker(config, quiet);
    await broker.start();
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : broker.stop()));
    const stop = broker.stop.bind(broker);
    broker.stop = async () => {
      stopped = true;
      await stop();
    };
    return broker;
  }

  async function deploy(broker: Broker): Promise<void> {
    const client = new GatewayClient(`127.0.0.1:${broker.gatewayPort}`);
    try {
      await client.call('DeployResource', { resources: [{ name: 'one-task.bpmn', content: readFileSync(join(FIXTURES, 'one-task.bpmn')) }], tenantId: '' });
    } finally {
      client.close();
    }
  }

  it('given records exported and the broker restarted, then the exporter resumes after its stored position: nothing twice, no position records', async () => {
    // given a broker exporting to JSON lines
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'records.jsonl');
    const config = brokerConfig(join(dir.path, 'data'), { exportJsonlFile: file });
    const first = await start(config);
    await deploy(first);
    const exported = await eventually(() => (exportedLines(file).length >= 3 ? exportedLines(file) : undefined), 'the deployment to be exported');
    const last = exported[exported.length - 1].position;
    // when the position reached the state and the broker is restarted
    await eventually(() => ((storedPosition(first, 'json-lines') ?? -1) >= last ? true : undefined), 'the position to be stored');
    await first.stop();
    const second = await start(config);
    expect(storedPosition(second, 'json-lines')).toBeGreaterThanOrEqual(last);
    await deploy(second);
    await eventually(() => (exportedLines(file).length > exported.length ? true : undefined), 'the second deployment to be exported');

    // then every record is there once, and the position records themselves are not exported
    const lines = exportedLines(file);
    const positions = lines.map((line) => line.position);
    expect(new Set(positions).size).toBe(positions.length);
    expect(lines.some((line) => line.valueType === 'EXPORTER')).toBe(false);
    expect(existsSync(join(dir.path, 'data', 'partitions', '1', 'exporter-positions.json'))).toBe(false);
  });

  it('given an exporter-positions.json of an earlier version, then its positions are taken over once and the file is retired', async () => {
    // given a position file that says the JSON-lines exporter acknowledged position 2
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'records.jsonl');
    const config = brokerConfig(join(dir.path, 'data'), { exportJsonlFile: file });
    const legacy = join(dir.path, 'data', 'partitions', '1', 'exporter-positions.json');
    mkdirSync(join(dir.path, 'data', 'partitions', '1'), { recursive: true });
    writeFileSync(legacy, JSON.stringify({ version: 1, positions: { 'json-lines': 2 } }));
    // when the broker starts and exports
    const broker = await start(config);
    await deploy(broker);
    // then the position is in the state and the file is renamed
    await eventually(() => (existsSync(`${legacy}.migrated`) ? true : undefined), 'the legacy file to be retired');
    expect(storedPosition(broker, 'json-lines')).toBeGreaterThanOrEqual(2);
    expect(existsSync(legacy)).toBe(false);
  });

  it('given an exporter that is removed from the configuration, then its stored position is dropped', async () => {
    // given a position stored for the JSON-lines exporter
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'records.jsonl');
    const first = await start(brokerConfig(join(dir.path, 'data'), { exportJsonlFile: file }));
    await deploy(first);
    await eventually(() => storedPosition(first, 'json-lines'), 'the position to be stored');
    await first.stop();
    // when the broker starts without it
    const second = await start(brokerConfig(join(dir.path, 'data')));
    // then the position is gone, so nothing holds back compaction
    await eventually(() => (storedPosition(second, 'json-lines') === undefined ? true : undefined), 'the position to be dropped');
    expect(second.exporterDirector(1)?.exporterStats()).toEqual([]);
  });

  it('given the log compacted past a new exporter position, then it starts at the first record there is and reports the gap', async () => {
    // given a broker without exporters whose log was compacted
    const dir = tempDir();
    cleanups.push(dir.remove);
    const data = join(dir.path, 'data');
    const first = await start(brokerConfig(data));
    for (let deployment = 0; deployment < 3; deployment++) await deploy(first);
    const partition = first.partitions[0] as unknown as Partition;
    await first.stop();
    await compactLogFrom(join(data, 'partitions', '1'));
    void partition;
    // when the JSON-lines exporter is added
    const file = join(dir.path, 'records.jsonl');
    const warnings: string[] = [];
    const second = new Broker(brokerConfig(data, { exportJsonlFile: file }), { info: () => {}, error: (message) => warnings.push(message) });
    await second.start();
    cleanups.push(() => second.stop());
    await deploy(second);
    // then it exports what the log still has, and says what it skipped
    await eventually(() => (exportedLines(file).length > 0 ? true : undefined), 'records to be exported');
    const stats = second.exporterDirector(1)!.exporterStats()[0];
    expect(stats.skippedRecords).toBeGreaterThan(0);
    expect(warnings.join('\n')).toMatch(/Exporter 'json-lines' on partition 1 expected record 1 next, but the log starts at \d+/);
    const metrics = await (await fetch(`http://127.0.0.1:${second.monitoringPort}/metrics`)).text();
    expect(metrics).toMatch(/tributary_exporter_skipped_records_total\{partition="1",exporter="json-lines"\} [1-9]/);
  });
});

/** Opens the partition with small log segments, snapshots and compacts it as far as it goes, and closes it. */
async function compactLogFrom(directory: string): Promise<void> {
  const { partition } = await openPartition(directory, 512);
  // Fill a few segments so that there is something below the snapshot to delete.
  for (let signal = 0; signal < 40; signal++) partition.submit({ valueType: 'SIGNAL', intent: 'BROADCAST', key: -1n, value: { signalName: `s${signal}`, variables: {}, tenantId: '<default>' } });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await partition.snapshotAndCompact(Number.MAX_SAFE_INTEGER);
  expect(partition.log.firstIndex).toBeGreaterThan(1);
  await partition.close();
}

async function openPartition(directory: string, segmentSizeBytesMax?: number) {
  const responses: PendingResponse[] = [];
  const partition = await Partition.open({
    partitionId: 1,
    directory,
    settings: { ...PARTITION_SETTINGS_DEFAULTS, segmentSizeBytesMax },
    clock: { nowMs: () => 1_700_000_000_000 },
    jobStreams: new RoundRobinJobStreams(),
    listener: {
      onResponse: (response) => responses.push(response),
      onSideEffect: () => {},
      onCommitted: () => {},
      onFailure: (error) => {
        throw error;
      },
    },
  });
  let nextRequestId = 1;
  const send = async (command: Omit<NewCommand, 'requestId'>): Promise<Record> => {
    const requestId = nextRequestId++;
    partition.submit({ ...command, requestId, requestStreamId: 0 });
    for (let attempt = 0; attempt < 500; attempt++) {
      const response = responses.find((candidate) => candidate.requestId === requestId);
      if (response) return response.record;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no response to request ${requestId}`);
  };
  return { partition, send };
}

describe('exporter positions in the partition state', () => {
  it('given positions written as EXPORTER commands, when the log is compacted past them and the state lost, then the snapshot brings them back', async () => {
    const dir = tempDir();
    try {
      // given positions for two exporters, then one moved on and one deleted
      const { partition, send } = await openPartition(dir.path, 512);
      const update = (exporterId: string, position: number) => send({ valueType: 'EXPORTER', intent: 'UPDATE_POSITION', key: -1n, value: { exporterId, position } });
      expect((await update('kafka', 3)).intent).toBe('POSITION_UPDATED');
      expect((await update('json-lines', 5)).intent).toBe('POSITION_UPDATED');
      expect((await update('kafka', 7)).intent).toBe('POSITION_UPDATED');
      const older = await update('kafka', 4);
      expect(older.recordType).toBe('COMMAND_REJECTION');
      expect(older.rejectionReason).toBe("Expected to update the position of exporter 'kafka' to at least 7, but it was 4");
      expect((await send({ valueType: 'EXPORTER', intent: 'DELETE_POSITION', key: -1n, value: { exporterId: 'json-lines', position: -1 } })).intent).toBe('POSITION_DELETED');
      // when more records follow, the partition snapshots and compacts its log, and the state directory is lost
      for (let signal = 0; signal < 40; signal++) await send({ valueType: 'SIGNAL', intent: 'BROADCAST', key: -1n, value: { signalName: `s${signal}`, variables: {}, tenantId: '<default>' } });
      await partition.snapshotAndCompact(Number.MAX_SAFE_INTEGER);
      const firstIndex = partition.log.firstIndex;
      await partition.close();
      expect(firstIndex).toBeGreaterThan(5);
      rmSync(join(dir.path, 'state'), { recursive: true, force: true });
      // then the reopened partition has the positions from the snapshot
      const reopened = await openPartition(dir.path, 512);
      const positions: { [exporterId: string]: number } = {};
      reopened.partition.engine.state.exporterPositions.forEachPosition((exporterId, position) => (positions[exporterId] = position));
      expect(positions).toEqual({ kafka: 7 });
      await reopened.partition.close();
    } finally {
      dir.remove();
    }
  });
});
