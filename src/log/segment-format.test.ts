import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentedLog } from './index.js';
import { encodeSegmentHeader, parseSegmentFileName, segmentFileName } from './segment-format.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-log-format-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function fixtureBytes(name: string): Promise<Buffer> {
  const text = await readFile(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), 'utf8');
  const hex = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

const SEGMENT_NAME = '00000000000000000001.log';

describe('segment format version 1', () => {
  it('writes exactly the fixture bytes', async () => {
    // given
    const log = await SegmentedLog.open({ directory });

    // when
    log.append(1, Buffer.from('hello'));
    log.append(2, Buffer.alloc(0));
    await log.close();

    // then
    expect(await readFile(path.join(directory, SEGMENT_NAME))).toEqual(await fixtureBytes('segment-v1.hex'));
  });

  it('reads the fixture bytes', async () => {
    // given
    await writeFile(path.join(directory, SEGMENT_NAME), await fixtureBytes('segment-v1.hex'));

    // when
    const log = await SegmentedLog.open({ directory });

    // then
    expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([1, 2, 2]);
    expect(log.read(1)).toEqual({ index: 1, term: 1, payload: Buffer.from('hello') });
    expect(log.read(2)).toEqual({ index: 2, term: 2, payload: Buffer.alloc(0) });
    await log.close();
  });

  it('names segment files by their first index, zero-padded so that they sort in log order', () => {
    expect(segmentFileName(1)).toBe(SEGMENT_NAME);
    expect(segmentFileName(Number.MAX_SAFE_INTEGER)).toBe('00009007199254740991.log');
    expect(parseSegmentFileName('00000000000000000042.log')).toBe(42);
    expect(parseSegmentFileName('42.log')).toBeUndefined();
    expect(parseSegmentFileName('99999999999999999999.log')).toBeUndefined();
  });
});

describe('segment index format version 1', () => {
  const indexName = '00000000000000000001.idx';

  it('writes exactly the fixture bytes once the log rolls past the segment', async () => {
    // given: the entries of segment-v1.hex in segments of at most 128 bytes
    const log = await SegmentedLog.open({ directory, segmentSizeBytesMax: 128 });
    log.append(1, Buffer.from('hello'));
    log.append(2, Buffer.alloc(0));

    // when
    log.append(2, Buffer.alloc(50));
    await log.close();

    // then
    expect(await readFile(path.join(directory, SEGMENT_NAME))).toEqual(await fixtureBytes('segment-v1.hex'));
    expect(await readFile(path.join(directory, indexName))).toEqual(await fixtureBytes('segment-index-v1.hex'));
  });

  it('trusts the fixture bytes as the index of the segment', async () => {
    // given: the segment and its index, followed by an empty last segment
    await writeFile(path.join(directory, SEGMENT_NAME), await fixtureBytes('segment-v1.hex'));
    await writeFile(path.join(directory, indexName), await fixtureBytes('segment-index-v1.hex'));
    const header = Buffer.alloc(32);
    encodeSegmentHeader(header, 0, 3);
    await writeFile(path.join(directory, segmentFileName(3)), header);
    const warnings: string[] = [];

    // when
    const log = await SegmentedLog.open({ directory, onWarning: (message) => warnings.push(message) });

    // then
    expect(warnings).toEqual([]);
    expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([1, 2, 2]);
    expect(log.read(1)).toEqual({ index: 1, term: 1, payload: Buffer.from('hello') });
    expect([log.termAt(1), log.termAt(2)]).toEqual([1, 2]);
    await log.close();
  });
});
