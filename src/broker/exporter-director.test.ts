import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Exporter, ExporterContext } from '../exporters/index.js';
import { JsonLinesExporter } from '../exporters/index.js';
import type { Record } from '../protocol/index.js';
import {
  ExporterDirector,
  FileExporterPositionStore,
  NO_POSITION,
  registerExporterMetrics,
  type ExporterPositionStore,
} from './exporter-director.js';
import { MetricsRegistry } from './metrics.js';

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'tributary-exporter-director-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

function record(position: number): Record {
  return {
    partitionId: 1,
    position,
    sourceRecordPosition: -1,
    key: 2251799813685248n + BigInt(position),
    timestamp: 1_700_000_000_000 + position,
    recordType: 'EVENT',
    valueType: 'PROCESS_INSTANCE',
    intent: 'ELEMENT_ACTIVATED',
    rejectionType: 'NULL_VAL',
    rejectionReason: '',
    brokerVersion: '8.8.0',
    value: { bpmnProcessId: 'order', elementId: `task-${position}` },
  };
}

/** The partition's committed log as the director sees it: appended in order, readable from a position on. */
class FakeLog {
  readonly records: Record[] = [];

  append(count: number): Record[] {
    const start = this.records.length + 1;
    const appended = Array.from({ length: count }, (_, index) => record(start + index));
    this.records.push(...appended);
    return appended;
  }

  readonly replayFrom = (fromPosition: number): Iterable<Record> => this.records.filter((item) => item.position >= fromPosition);
}

/** An exporter that remembers what it got; it can fail, acknowledge only so far, or hold its exports on a gate. */
class RecordingExporter implements Exporter {
  readonly exported: number[] = [];
  context: ExporterContext | undefined;
  failOpens = 0;
  failExports = 0;
  acknowledgeUpTo = Number.MAX_SAFE_INTEGER;
  gate: Promise<void> | undefined;
  closed = false;

  constructor(readonly id: string) {}

  async open(context: ExporterContext): Promise<void> {
    if (this.failOpens > 0) {
      this.failOpens -= 1;
      throw new Error(`${this.id} cannot connect`);
    }
    this.context = context;
  }

  async export(records: readonly Record[]): Promise<void> {
    await this.gate;
    if (this.failExports > 0) {
      this.failExports -= 1;
      throw new Error(`${this.id} is unavailable`);
    }
    this.exported.push(...records.map((item) => item.position));
    const acknowledgeable = records.filter((item) => item.position <= this.acknowledgeUpTo);
    if (acknowledgeable.length > 0) this.context?.acknowledge(acknowledgeable[acknowledgeable.length - 1].position);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class MemoryPositionStore implements ExporterPositionStore {
  readonly positions = new Map<string, number>();
  get(exporterId: string): number {
    return this.positions.get(exporterId) ?? NO_POSITION;
  }
  set(exporterId: string, position: number): void {
    this.positions.set(exporterId, position);
  }
}

function commit(log: FakeLog, director: ExporterDirector, count: number): void {
  director.onCommitted(log.append(count));
}

/** Generous, since CI runs many test files at once on two cores. */
const eventually = <T>(check: () => T) => vi.waitFor(check, { timeout: 10_000, interval: 5 });

const fastRetries = { retryDelayMsInitial: 5, retryDelayMsMax: 20, logPollIntervalMs: 5 };

describe('ExporterDirector', () => {
  test('feeds committed records to every exporter in log order and tracks the lowest acknowledged position', async () => {
    // given
    const log = new FakeLog();
    const all = new RecordingExporter('all');
    const partial = new RecordingExporter('partial');
    partial.acknowledgeUpTo = 4;
    const director = new ExporterDirector({ partitionId: 1, exporters: [all, partial], positions: new MemoryPositionStore(), ...fastRetries });
    director.start(log.replayFrom);

    // when
    commit(log, director, 3);
    commit(log, director, 4);

    // then
    await eventually(() => expect(all.exported).toEqual([1, 2, 3, 4, 5, 6, 7]));
    await eventually(() => expect(partial.exported).toEqual([1, 2, 3, 4, 5, 6, 7]));
    expect(director.lowestAcknowledgedPosition).toBe(4);
    expect(director.exporterStats().map((stats) => [stats.exporterId, stats.acknowledgedPosition, stats.lagRecords])).toEqual([
      ['all', 7, 0],
      ['partial', 4, 0],
    ]);
    await director.close();
    expect(all.closed && partial.closed).toBe(true);
  });

  test("never hands exporters the broker's own EXPORTER and SCHEMA records, and shows no lag for them", async () => {
    // given a log where position records follow user records, both in memory and read back from the log
    const log = new FakeLog();
    const exporter = new RecordingExporter('all');
    const director = new ExporterDirector({ partitionId: 1, exporters: [exporter], positions: new MemoryPositionStore(), ...fastRetries });
    director.start(log.replayFrom);
    const internal = (records: Record[], valueType: 'EXPORTER' | 'SCHEMA') => records.map((item) => Object.assign(item, { valueType }));

    // when
    commit(log, director, 2);
    await eventually(() => expect(exporter.exported).toEqual([1, 2]));
    director.onCommitted(internal(log.append(2), 'EXPORTER'));
    director.onCommitted(internal(log.append(1), 'SCHEMA'));
    commit(log, director, 1);

    // then
    await eventually(() => expect(exporter.exported).toEqual([1, 2, 6]));
    director.onCommitted(internal(log.append(2), 'EXPORTER'));
    await eventually(() => expect(director.exporterStats()[0]).toMatchObject({ exportedPosition: 8, acknowledgedPosition: 6, lagRecords: 0 }));
    await director.close();
  });

  test('goes on from the first record the log has when it was compacted past the position, and reports the gap', async () => {
    // given a log whose first three records were compacted away, and an exporter that acknowledged position 1
    const log = new FakeLog();
    log.append(6);
    log.records.splice(0, 3);
    const positions = new MemoryPositionStore();
    positions.set('late', 1);
    const exporter = new RecordingExporter('late');
    const warnings: string[] = [];
    const director = new ExporterDirector({ partitionId: 1, exporters: [exporter], positions, onWarning: (message) => warnings.push(message), ...fastRetries });

    // when
    director.start(log.replayFrom);

    // then
    await eventually(() => expect(exporter.exported).toEqual([4, 5, 6]));
    expect(director.exporterStats()[0].skippedRecords).toBe(2);
    expect(warnings).toEqual([
      "Exporter 'late' on partition 1 expected record 2 next, but the log starts at 4 (compacted past the exporter's position): 2 records are skipped",
    ]);
    await director.close();
  });

  test('resumes each exporter after its acknowledged position after a restart', async () => {
    // given a first run: the JSON-lines exporter acknowledges everything, the other only up to position 3
    const log = new FakeLog();
    const file = path.join(folder, 'records.jsonl');
    const positionsFile = path.join(folder, 'exporter-positions.json');
    const store = await FileExporterPositionStore.open(positionsFile);
    const slow = new RecordingExporter('slow');
    slow.acknowledgeUpTo = 3;
    const first = new ExporterDirector({ partitionId: 1, exporters: [new JsonLinesExporter({ file }), slow], positions: store, ...fastRetries });
    first.start(log.replayFrom);
    commit(log, first, 5);
    await eventually(() => expect(first.exporterStats().map((stats) => stats.acknowledgedPosition)).toEqual([5, 3]));
    await first.close();
    await store.close();

    // when the broker restarts, with two more records committed while it was down
    log.append(2);
    const reopenedStore = await FileExporterPositionStore.open(positionsFile);
    const slowAgain = new RecordingExporter('slow');
    const second = new ExporterDirector({
      partitionId: 1,
      exporters: [new JsonLinesExporter({ file }), slowAgain],
      positions: reopenedStore,
      ...fastRetries,
    });
    expect(second.lowestAcknowledgedPosition).toBe(3);
    second.start(log.replayFrom);
    commit(log, second, 1);

    // then each exporter goes on after what it acknowledged: the file has every record once, the slow one gets 4 again
    await eventually(() => expect(slowAgain.exported).toEqual([4, 5, 6, 7, 8]));
    await eventually(() => expect(second.lowestAcknowledgedPosition).toBe(8));
    await second.close();
    await reopenedStore.close();
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(lines.map((line) => JSON.parse(line).position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(JSON.parse(await readFile(positionsFile, 'utf8'))).toEqual({ version: 1, positions: { 'json-lines': 8, slow: 8 } });
  });

  test('retries a failing exporter with back-off while the others and processing go on', async () => {
    // given
    const log = new FakeLog();
    const healthy = new RecordingExporter('healthy');
    const flaky = new RecordingExporter('flaky');
    flaky.failOpens = 2;
    flaky.failExports = 3;
    const errors: string[] = [];
    const director = new ExporterDirector({
      partitionId: 1,
      exporters: [flaky, healthy],
      positions: new MemoryPositionStore(),
      onError: (exporterId, error) => errors.push(`${exporterId}: ${(error as Error).message}`),
      ...fastRetries,
    });
    director.start(log.replayFrom);

    // when
    for (let batch = 0; batch < 5; batch++) commit(log, director, 2);

    // then
    await eventually(() => expect(healthy.exported).toHaveLength(10));
    await eventually(() => expect(flaky.exported).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(errors).toEqual([
      'flaky: flaky cannot connect',
      'flaky: flaky cannot connect',
      'flaky: flaky is unavailable',
      'flaky: flaky is unavailable',
      'flaky: flaky is unavailable',
    ]);
    const flakyStats = director.exporterStats()[0];
    expect(flakyStats).toMatchObject({ exporterId: 'flaky', errorCount: 5, lastError: 'flaky is unavailable', acknowledgedPosition: 10 });
    await director.close();
  });

  test('reads from the log when an exporter falls further behind than the queue holds', async () => {
    // given an exporter stuck on its first export
    const log = new FakeLog();
    const stuck = new RecordingExporter('stuck');
    let release = () => {};
    stuck.gate = new Promise((resolve) => (release = resolve));
    const healthy = new RecordingExporter('healthy');
    const director = new ExporterDirector({
      partitionId: 1,
      exporters: [stuck, healthy],
      positions: new MemoryPositionStore(),
      queueRecordsMax: 5,
      exportBatchRecordsMax: 4,
      ...fastRetries,
    });
    director.start(log.replayFrom);

    // when many more records are committed than its queue holds
    for (let batch = 0; batch < 20; batch++) commit(log, director, 3);
    await eventually(() => expect(healthy.exported).toHaveLength(60));
    const whileStuck = director.exporterStats()[0];
    stuck.gate = undefined;
    release();

    // then it catches up from the log, every record once and in order, and then follows live again
    await eventually(() => expect(stuck.exported).toHaveLength(60));
    expect(stuck.exported).toEqual(Array.from({ length: 60 }, (_, index) => index + 1));
    expect(whileStuck).toMatchObject({ readingFromLog: true, queuedRecords: 0, lagRecords: 60 });
    await eventually(() => expect(director.exporterStats()[0].readingFromLog).toBe(false));
    commit(log, director, 1);
    await eventually(() => expect(stuck.exported).toHaveLength(61));
    await director.close();
  });

  test('does not export twice a record that the log served before the partition reported it', async () => {
    // given records committed and readable, reported only after the director has read them
    const log = new FakeLog();
    const exporter = new RecordingExporter('exporter');
    const director = new ExporterDirector({ partitionId: 1, exporters: [exporter], positions: new MemoryPositionStore(), ...fastRetries });
    const late = log.append(3);
    director.start(log.replayFrom);
    await eventually(() => expect(exporter.exported).toEqual([1, 2, 3]));

    // when
    director.onCommitted(late);
    commit(log, director, 1);

    // then
    await eventually(() => expect(exporter.exported).toEqual([1, 2, 3, 4]));
    await director.close();
  });

  test('waits for records that are reported committed but not readable from the log yet', async () => {
    // given the partition reports records before its log serves them
    const log = new FakeLog();
    const exporter = new RecordingExporter('exporter');
    const director = new ExporterDirector({ partitionId: 1, exporters: [exporter], positions: new MemoryPositionStore(), ...fastRetries });
    const reported = Array.from({ length: 3 }, (_, index) => record(index + 1));
    director.onCommitted(reported);
    director.start(log.replayFrom);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // when the log catches up
    log.records.push(...reported);

    // then
    await eventually(() => expect(exporter.exported).toEqual([1, 2, 3]));
    commit(log, director, 1);
    await eventually(() => expect(exporter.exported).toEqual([1, 2, 3, 4]));
    await director.close();
  });

  test('never blocks processing, and closes in bounded time, when an exporter hangs', async () => {
    const log = new FakeLog();
    const hanging = new RecordingExporter('hanging');
    hanging.gate = new Promise(() => {});
    const director = new ExporterDirector({
      partitionId: 1,
      exporters: [hanging],
      positions: new MemoryPositionStore(),
      queueRecordsMax: 100,
      closeTimeoutMs: 50,
      ...fastRetries,
    });
    director.start(log.replayFrom);

    const startedAtMs = performance.now();
    for (let batch = 0; batch < 1_000; batch++) commit(log, director, 10);
    const commitMs = performance.now() - startedAtMs;
    await director.close();

    expect(commitMs).toBeLessThan(1_000);
    expect(director.lowestAcknowledgedPosition).toBe(NO_POSITION);
    expect(director.exporterStats()[0]).toMatchObject({ state: 'closed', lagRecords: 10_000 });
  });

  test('refuses an acknowledgement beyond what the exporter was given', async () => {
    const log = new FakeLog();
    const exporter = new RecordingExporter('exporter');
    const director = new ExporterDirector({ partitionId: 1, exporters: [exporter], positions: new MemoryPositionStore(), ...fastRetries });
    director.start(log.replayFrom);
    commit(log, director, 2);
    await eventually(() => expect(exporter.exported).toEqual([1, 2]));

    expect(() => exporter.context?.acknowledge(3)).toThrow("Expected exporter 'exporter' to acknowledge a position it was given (at most 2)");
    await director.close();
  });

  test('exposes exporter positions, lag and errors as metrics', async () => {
    // given
    const log = new FakeLog();
    const exporter = new RecordingExporter('kafka');
    exporter.failExports = 1;
    const director = new ExporterDirector({ partitionId: 3, exporters: [exporter], positions: new MemoryPositionStore(), ...fastRetries });
    const registry = new MetricsRegistry();
    registerExporterMetrics(registry, () => [director]);
    director.start(log.replayFrom);

    // when
    commit(log, director, 4);
    await eventually(() => expect(exporter.exported).toHaveLength(4));

    // then
    const text = registry.exposition();
    expect(text).toContain('# TYPE tributary_exporter_errors_total counter\ntributary_exporter_errors_total{partition="3",exporter="kafka"} 1\n');
    expect(text).toContain('tributary_exporter_acknowledged_position{partition="3",exporter="kafka"} 4\n');
    expect(text).toContain('tributary_exporter_lag_records{partition="3",exporter="kafka"} 0\n');
    await director.close();
  });
});

describe('FileExporterPositionStore', () => {
  test('writes positions at most once per flush interval, and on close', async () => {
    // given a store that has just written
    const file = path.join(folder, 'positions.json');
    const store = await FileExporterPositionStore.open(file, { flushIntervalMs: 60_000 });
    store.set('json-lines', 1);
    await eventually(async () => expect(JSON.parse(await readFile(file, 'utf8')).positions['json-lines']).toBe(1));

    // when many more acknowledgements arrive within the interval
    for (let position = 2; position <= 100; position++) store.set('json-lines', position);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const withinInterval = JSON.parse(await readFile(file, 'utf8'));
    await store.close();

    // then they are written on close, not before
    expect(withinInterval).toEqual({ version: 1, positions: { 'json-lines': 1 } });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, positions: { 'json-lines': 100 } });
    const reopened = await FileExporterPositionStore.open(file);
    expect(reopened.get('json-lines')).toBe(100);
    expect(reopened.get('never-acknowledged')).toBe(NO_POSITION);
  });

  test('refuses a position file it cannot read, with a clear error', async () => {
    const file = path.join(folder, 'positions.json');
    await writeFile(file, '{"version":1,"positions":{"json-lines":"seven"}}');

    await expect(FileExporterPositionStore.open(file)).rejects.toThrow(
      `Expected the exporter position file '${file}' to be readable, but exporter 'json-lines' has position "seven"`,
    );
  });
});
