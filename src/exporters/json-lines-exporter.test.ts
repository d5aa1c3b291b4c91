import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Record } from '../protocol/index.js';
import type { ExporterContext } from './exporter.js';
import { cutTornJsonLinesTail, JsonLinesExporter } from './json-lines-exporter.js';

let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(path.join(tmpdir(), 'tributary-json-lines-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(folder, { recursive: true, force: true });
});

function jobCreated(position: number, key = 2251799813685249n): Record {
  return {
    partitionId: 1,
    position,
    sourceRecordPosition: position - 1,
    key,
    timestamp: 1_700_000_000_000 + position,
    recordType: 'EVENT',
    valueType: 'JOB',
    intent: 'CREATED',
    rejectionType: 'NULL_VAL',
    rejectionReason: '',
    brokerVersion: '8.8.0',
    value: { type: 'payment', retries: 3, processInstanceKey: key - 1n, customHeaders: { region: 'eu' } },
    requestId: 17,
  };
}

function contextRecording(acknowledged: number[]): ExporterContext {
  return { partitionId: 1, configuration: {}, acknowledge: (position) => acknowledged.push(position) };
}

describe('JsonLinesExporter', () => {
  test('appends each record as one line of Zeebe exported JSON, 64-bit keys as bare numbers', async () => {
    // given
    const file = path.join(folder, 'nested', 'records.jsonl');
    const exporter = new JsonLinesExporter({ file });
    const acknowledged: number[] = [];
    await exporter.open(contextRecording(acknowledged));

    // when
    await exporter.export([jobCreated(1, 9007199254740993n), jobCreated(2)]);
    await exporter.export([jobCreated(3)]);
    await exporter.close();

    // then
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines[0]).toContain('"key":9007199254740993,');
    expect(lines[0]).toContain('"processInstanceKey":9007199254740992,');
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({
      partitionId: 1,
      position: 1,
      sourceRecordPosition: 0,
      timestamp: 1_700_000_000_001,
      recordType: 'EVENT',
      valueType: 'JOB',
      intent: 'CREATED',
      rejectionType: 'NULL_VAL',
      rejectionReason: '',
      brokerVersion: '8.8.0',
      value: { type: 'payment', retries: 3, customHeaders: { region: 'eu' } },
    });
    expect(first).not.toHaveProperty('requestId');
    expect(lines.slice(0, 3).map((line) => JSON.parse(line).position)).toEqual([1, 2, 3]);
    expect(acknowledged).toEqual([2, 3]);
  });

  test('acknowledges a batch only after it is fsynced', async () => {
    // given
    const file = path.join(folder, 'records.jsonl');
    const events: string[] = [];
    const exporter = new JsonLinesExporter({ file });
    await exporter.open({ partitionId: 1, configuration: {}, acknowledge: (position) => events.push(`acknowledge ${position}`) });
    const fileHandlePrototype = await fileHandlePrototypeOf(file);
    const originalWrite = fileHandlePrototype.write;
    const originalSync = fileHandlePrototype.sync;
    vi.spyOn(fileHandlePrototype, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      events.push('write');
      return (originalWrite as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof originalWrite);
    vi.spyOn(fileHandlePrototype, 'sync').mockImplementation(async function (this: typeof fileHandlePrototype) {
      await originalSync.call(this);
      events.push('fsync done');
    });

    // when
    await exporter.export([jobCreated(1), jobCreated(2)]);
    await exporter.close();

    // then
    expect(events.filter((event) => event !== 'write').slice(-2)).toEqual(['fsync done', 'acknowledge 2']);
    expect(events.lastIndexOf('write')).toBeLessThan(events.indexOf('fsync done'));
  });

  test('does not acknowledge when fsync fails, and cuts the file back so the retry leaves no torn line', async () => {
    // given
    const file = path.join(folder, 'records.jsonl');
    const acknowledged: number[] = [];
    const exporter = new JsonLinesExporter({ file });
    await exporter.open(contextRecording(acknowledged));
    await exporter.export([jobCreated(1)]);
    const fileHandlePrototype = await fileHandlePrototypeOf(file);
    const failingSync = vi.spyOn(fileHandlePrototype, 'sync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));

    // when
    await expect(exporter.export([jobCreated(2), jobCreated(3)])).rejects.toThrow('EIO');
    const afterFailure = await readFile(file, 'utf8');
    failingSync.mockRestore();
    await exporter.export([jobCreated(2), jobCreated(3)]);
    await exporter.close();

    // then
    expect(acknowledged).toEqual([1, 3]);
    expect(afterFailure.split('\n').filter(Boolean).map((line) => JSON.parse(line).position)).toEqual([1]);
    const positions = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line).position);
    expect(positions).toEqual([1, 2, 3]);
  });

  // A plain exporter cuts the torn tail itself when it opens; shared exporters leave that to cutTornJsonLinesTail, run
  // once before any of them opens (and harmless on a file that does not exist yet).
  test.each<[reopenedBy: string, cutBeforeOpen: (file: string) => Promise<void>, shared: boolean]>([
    ['a plain exporter', async () => {}, false],
    [
      'a shared exporter after cutTornJsonLinesTail',
      async (file) => {
        await cutTornJsonLinesTail(file);
        await cutTornJsonLinesTail(path.join(folder, 'missing.jsonl'));
      },
      true,
    ],
  ])('given a file whose last line a crash tore, when %s opens it and appends, then the new line follows the intact lines', async (_reopenedBy, cutBeforeOpen, shared) => {
    // given
    const file = path.join(folder, 'records.jsonl');
    const first = new JsonLinesExporter({ file });
    await first.open(contextRecording([]));
    await first.export([jobCreated(1)]);
    await first.close();
    await writeFile(file, '{"partitionId":1,"value":{"ty', { flag: 'a' });

    // when
    await cutBeforeOpen(file);
    const reopened = new JsonLinesExporter({ file, shared });
    await reopened.open(contextRecording([]));
    await reopened.export([jobCreated(2)]);
    await reopened.close();

    // then
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(lines.map((line) => JSON.parse(line).position)).toEqual([1, 2]);
  });

  test('given exporters sharing one file (a broker\'s partitions), when one opens while another writes, then no acknowledged line is lost', async () => {
    // given
    const file = path.join(folder, 'records.jsonl');
    const acknowledged: number[] = [];
    const writer = new JsonLinesExporter({ file, shared: true });
    await writer.open(contextRecording(acknowledged));

    // when another partition's exporter opens the file again and again while the first one writes big batches
    let writing = true;
    const opening = (async () => {
      while (writing) {
        const other = new JsonLinesExporter({ file, shared: true });
        await other.open(contextRecording([]));
        await other.close();
      }
    })();
    let position = 0;
    for (let batch = 0; batch < 30; batch++) {
      await writer.export(Array.from({ length: 1_000 }, () => jobCreated(++position)));
    }
    writing = false;
    await opening;
    await writer.close();

    // then
    const positions = (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line).position);
    expect(acknowledged.at(-1)).toBe(30_000);
    expect(positions).toEqual(Array.from({ length: 30_000 }, (_, index) => index + 1));
  });

  test('writes a large batch in chunks, all lines intact', async () => {
    const file = path.join(folder, 'records.jsonl');
    const acknowledged: number[] = [];
    const exporter = new JsonLinesExporter({ file, writeChunkBytesMax: 1024 });
    await exporter.open(contextRecording(acknowledged));

    const records = Array.from({ length: 500 }, (_, index) => jobCreated(index + 1));
    await exporter.export(records);
    await exporter.close();

    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(lines.map((line) => JSON.parse(line).position)).toEqual(records.map((record) => record.position));
    expect(acknowledged).toEqual([500]);
  });

  test('refuses to export before it is opened', async () => {
    const exporter = new JsonLinesExporter({ file: path.join(folder, 'records.jsonl'), id: 'audit' });

    await expect(exporter.export([jobCreated(1)])).rejects.toThrow("Expected exporter 'audit' to be open before it exports");
  });
});

/** FileHandle is not exported by node:fs/promises; take its prototype from a handle. */
async function fileHandlePrototypeOf(file: string) {
  const handle = await open(file, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as typeof handle;
}
