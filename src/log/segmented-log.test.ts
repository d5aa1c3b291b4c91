import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentedLog, type LogOptions } from './index.js';

let directory: string;
const openLogs: SegmentedLog[] = [];

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-log-'));
});

afterEach(async () => {
  await Promise.allSettled(openLogs.splice(0).map((log) => log.close()));
  await rm(directory, { recursive: true, force: true });
});

async function openLog(options: Partial<LogOptions> = {}): Promise<SegmentedLog> {
  const log = await SegmentedLog.open({ directory, ...options });
  openLogs.push(log);
  return log;
}

/** Lets a flush that was asked for start: it takes its entries at once, and its write and sync need the event loop. */
function flushStarted(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function payloadOf(index: number, sizeBytes = 20): Buffer {
  return Buffer.from(`entry-${index}-`.padEnd(sizeBytes, 'x'));
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(directory)).filter((name) => name.endsWith('.log')).sort();
}

function readAll(log: SegmentedLog, fromIndex: number): string[] {
  const reader = log.reader(fromIndex);
  const payloads: string[] = [];
  for (let entry = reader.next(); entry !== undefined; entry = reader.next()) payloads.push(entry.payload.toString());
  return payloads;
}

describe('SegmentedLog', () => {
  it('reads back what was appended and flushed', async () => {
    // given
    const log = await openLog();
    expect([log.firstIndex, log.lastIndex, log.lastTerm, log.durableIndex]).toEqual([1, 0, 0, 0]);

    // when
    const indexes = [log.append(1, payloadOf(1)), log.append(1, payloadOf(2)), log.append(2, payloadOf(3))];
    const durableIndex = await log.flush();

    // then
    expect(indexes).toEqual([1, 2, 3]);
    expect(durableIndex).toBe(3);
    expect([log.firstIndex, log.lastIndex, log.lastTerm, log.durableIndex]).toEqual([1, 3, 2, 3]);
    expect(log.read(2)).toEqual({ index: 2, term: 1, payload: payloadOf(2) });
    expect(log.read(3)).toEqual({ index: 3, term: 2, payload: payloadOf(3) });
    expect(log.read(0)).toBeUndefined();
    expect(log.read(4)).toBeUndefined();
    expect([log.termAt(1), log.termAt(3), log.termAt(4)]).toEqual([1, 2, undefined]);
  });

  it('reads entries that are not flushed yet, before they are durable', async () => {
    // given
    const log = await openLog();
    await log.appendDurably(1, payloadOf(1));

    // when
    log.append(1, payloadOf(2));
    const pending = log.flush();

    // then
    expect(log.durableIndex).toBe(1);
    expect(log.read(2)?.payload).toEqual(payloadOf(2));
    expect(readAll(log, 1)).toEqual([payloadOf(1).toString(), payloadOf(2).toString()]);
    expect(await pending).toBe(2);
  });

  it('keeps the payload as appended even when the caller reuses its buffer', async () => {
    // given
    const log = await openLog();
    const buffer = Buffer.from('original');

    // when
    log.append(1, buffer);
    buffer.write('changed!');

    // then
    expect(log.read(1)?.payload.toString()).toBe('original');
  });

  it('sees everything after a close and a reopen, and appends after it', async () => {
    // given
    const log = await openLog();
    for (let index = 1; index <= 100; index++) log.append(Math.ceil(index / 30), payloadOf(index));
    await log.close();

    // when
    const reopened = await openLog();

    // then
    expect([reopened.firstIndex, reopened.lastIndex, reopened.lastTerm, reopened.durableIndex]).toEqual([1, 100, 4, 100]);
    expect(reopened.read(57)).toEqual({ index: 57, term: 2, payload: payloadOf(57) });
    expect(reopened.termAt(30)).toBe(1);
    expect(reopened.termAt(31)).toBe(2);
    expect(await reopened.appendDurably(4, payloadOf(101))).toBe(101);
    expect(readAll(reopened, 99)).toEqual([99, 100, 101].map((index) => payloadOf(index).toString()));
  });

  it('rolls over to a new segment when the next entry would exceed segmentSizeBytesMax', async () => {
    // given: entries of 24 + 40 bytes, so a segment of 300 bytes (32 of them header) holds 4
    const log = await openLog({ segmentSizeBytesMax: 300 });

    // when
    for (let index = 1; index <= 10; index++) log.append(1, payloadOf(index, 40));
    await log.flush();

    // then
    expect(await segmentFiles()).toEqual(['00000000000000000001.log', '00000000000000000005.log', '00000000000000000009.log']);
    expect(readAll(log, 3)).toEqual([3, 4, 5, 6, 7, 8, 9, 10].map((index) => payloadOf(index, 40).toString()));
    await log.close();
    const reopened = await openLog({ segmentSizeBytesMax: 300 });
    expect(reopened.read(8)?.payload).toEqual(payloadOf(8, 40));
    expect(readAll(reopened, 1)).toHaveLength(10);
  });

  it('puts an entry larger than a segment into a segment of its own', async () => {
    // given
    const log = await openLog({ segmentSizeBytesMax: 200 });
    log.append(1, payloadOf(1));

    // when
    log.append(1, payloadOf(2, 500));
    log.append(1, payloadOf(3));
    await log.flush();

    // then
    expect(await segmentFiles()).toEqual(['00000000000000000001.log', '00000000000000000002.log', '00000000000000000003.log']);
    expect(log.read(2)?.payload).toEqual(payloadOf(2, 500));
  });

  it('lets a reader follow entries appended after it reached the end, and seek', async () => {
    // given
    const log = await openLog({ segmentSizeBytesMax: 300 });
    await log.appendDurably(1, payloadOf(1));
    const reader = log.reader(1);
    expect(reader.next()?.index).toBe(1);
    expect(reader.next()).toBeUndefined();

    // when
    log.append(1, payloadOf(2));
    await log.appendDurably(1, payloadOf(3));

    // then
    expect(reader.next()?.payload).toEqual(payloadOf(2));
    expect(reader.next()?.payload).toEqual(payloadOf(3));
    reader.seek(1);
    expect(reader.next()?.payload).toEqual(payloadOf(1));
  });

  it('truncates after an index, then appends the new entries after it', async () => {
    // given: entries 1..10 over three segments, some of them durable
    const log = await openLog({ segmentSizeBytesMax: 300 });
    for (let index = 1; index <= 10; index++) log.append(1, payloadOf(index, 40));
    await log.flush();
    const reader = log.reader(1);
    readAll(log, 1);

    // when
    const truncated = log.truncateAfter(3);
    const appended = log.append(2, Buffer.from('new four'));
    await truncated;
    await log.flush();

    // then
    expect(appended).toBe(4);
    expect([log.lastIndex, log.lastTerm, log.durableIndex]).toEqual([4, 2, 4]);
    expect(await segmentFiles()).toEqual(['00000000000000000001.log']);
    for (let index = 1; index <= 3; index++) expect(reader.next()?.payload).toEqual(payloadOf(index, 40));
    expect(reader.next()?.payload.toString()).toBe('new four');
    await log.close();
    const reopened = await openLog({ segmentSizeBytesMax: 300 });
    expect([reopened.lastIndex, reopened.lastTerm]).toEqual([4, 2]);
    expect(reopened.read(4)).toEqual({ index: 4, term: 2, payload: Buffer.from('new four') });
  });

  it('truncates correctly while a flush is in flight', async () => {
    // given
    const log = await openLog();
    for (let index = 1; index <= 10; index++) log.append(1, payloadOf(index));
    const inFlight = log.flush();
    await flushStarted();

    // when
    const truncated = log.truncateAfter(5);
    log.append(3, payloadOf(60));
    const [flushedIndex] = await Promise.all([inFlight, truncated]);
    await log.flush();

    // then: the first flush only vouches for what survived the truncation
    expect(flushedIndex).toBe(5);
    expect(log.durableIndex).toBe(6);
    await log.close();
    const reopened = await openLog();
    expect(reopened.lastIndex).toBe(6);
    expect(reopened.read(5)?.payload).toEqual(payloadOf(5));
    expect(reopened.read(6)).toEqual({ index: 6, term: 3, payload: payloadOf(60) });
  });

  it('truncates everything, keeping the first index', async () => {
    // given
    const log = await openLog();
    for (let index = 1; index <= 3; index++) await log.appendDurably(7, payloadOf(index));

    // when
    await log.truncateAfter(0);

    // then
    expect([log.firstIndex, log.lastIndex, log.lastTerm, log.read(1)]).toEqual([1, 0, 0, undefined]);
    expect(await log.appendDurably(1, payloadOf(1))).toBe(1);
  });

  it('deletes whole segments below an index and keeps the entries above readable', async () => {
    // given: ten entries, four per segment
    const log = await openLog({ segmentSizeBytesMax: 300 });
    for (let index = 1; index <= 10; index++) log.append(index, payloadOf(index, 40));
    await log.flush();

    // when
    await log.deleteBefore(7);

    // then: the segment 1..4 is gone; 5..8 holds 7 and stays
    expect(await segmentFiles()).toEqual(['00000000000000000005.log', '00000000000000000009.log']);
    expect([log.firstIndex, log.lastIndex]).toEqual([5, 10]);
    expect([log.read(4), log.termAt(4)]).toEqual([undefined, undefined]);
    expect(log.termAt(5)).toBe(5);
    expect(readAll(log, 5)).toHaveLength(6);
    expect(() => log.reader(1).next()).toThrow(/log starts at entry 5/);
    await log.close();
    const reopened = await openLog({ segmentSizeBytesMax: 300 });
    expect([reopened.firstIndex, reopened.lastIndex, reopened.read(5)?.payload]).toEqual([5, 10, payloadOf(5, 40)]);
  });

  it('deletes every compacted segment before a close that follows the compaction at once', async () => {
    // given: 200 segments of one entry each, so the compaction's deletions are paced
    const log = await openLog({ segmentSizeBytesMax: 128 });
    for (let index = 1; index <= 200; index++) log.append(1, payloadOf(index, 100));
    await log.flush();
    expect(await segmentFiles()).toHaveLength(200);

    // when: the log closes while its compaction runs
    const compaction = log.deleteBefore(200);
    await log.close();
    await compaction;

    // then
    expect(await segmentFiles()).toEqual(['00000000000000000200.log']);
    const reopened = await openLog({ segmentSizeBytesMax: 128 });
    expect([reopened.firstIndex, reopened.lastIndex, reopened.read(200)?.payload]).toEqual([200, 200, payloadOf(200, 100)]);
  });

  it('never deletes the segment holding the last entry', async () => {
    // given
    const log = await openLog({ segmentSizeBytesMax: 300 });
    for (let index = 1; index <= 6; index++) log.append(1, payloadOf(index, 40));
    await log.flush();

    // when
    await log.deleteBefore(100);

    // then
    expect(await segmentFiles()).toEqual(['00000000000000000005.log']);
    expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([5, 6, 1]);
    expect(await log.appendDurably(1, payloadOf(7))).toBe(7);
  });

  it('starts an empty log at a later index after reset, also after a reopen', async () => {
    // given
    const log = await openLog();

    // when
    await log.reset(1000);

    // then
    expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([1000, 999, 0]);
    await log.close();
    const reopened = await openLog();
    expect([reopened.firstIndex, reopened.lastIndex]).toEqual([1000, 999]);
    expect(await reopened.appendDurably(5, payloadOf(1000))).toBe(1000);
    expect(reopened.read(1000)?.term).toBe(5);
    expect(() => reopened.reset(5)).toThrow(/only an empty log/);
  });

  it('group-commits concurrent durable appends into far fewer fsyncs', async () => {
    // given
    const log = await openLog();

    // when
    const indexes = await Promise.all(Array.from({ length: 1000 }, (_, position) => log.appendDurably(1, payloadOf(position))));

    // then
    expect(indexes).toEqual(Array.from({ length: 1000 }, (_, position) => position + 1));
    expect(log.durableIndex).toBe(1000);
    expect(log.flushCount).toBeLessThan(10);
  });

  it('coalesces flushes asked for during a flush into one more', async () => {
    // given
    const log = await openLog();
    log.append(1, payloadOf(1));
    const first = log.flush();
    await flushStarted();

    // when
    const joined = Array.from({ length: 50 }, (_, position) => log.appendDurably(1, payloadOf(position + 2)));
    await Promise.all([first, ...joined]);

    // then
    expect(log.flushCount).toBe(2);
    expect(log.durableIndex).toBe(51);
  });

  it('refuses payloads larger than entrySizeBytesMax with an error naming the limit', async () => {
    // given
    const log = await openLog({ entrySizeBytesMax: 1000 });

    // when / then
    expect(() => log.append(1, Buffer.alloc(1001))).toThrow(RangeError);
    expect(() => log.append(1, Buffer.alloc(1001))).toThrow(/entrySizeBytesMax \(1000 bytes\)/);
    expect(log.append(1, Buffer.alloc(1000))).toBe(1);
    expect(log.lastIndex).toBe(1);
  });

  it('refuses a term lower than the last one', async () => {
    // given
    const log = await openLog();
    log.append(3, payloadOf(1));

    // when / then
    expect(() => log.append(2, payloadOf(2))).toThrow(/terms never decrease/);
    expect(log.lastIndex).toBe(1);
  });

  it('stops after a failed write until it is reopened', async () => {
    // given: the directory vanishes, so the first flush cannot create the segment file
    const log = await openLog({ directory: path.join(directory, 'partition') });
    log.append(1, payloadOf(1));
    await rm(path.join(directory, 'partition'), { recursive: true });

    // when
    const flushed = log.flush();

    // then
    await expect(flushed).rejects.toThrow(/ENOENT/);
    expect(() => log.append(1, payloadOf(2))).toThrow(/stopped after a failed file operation; reopen it to recover/);
    await log.close();
  });

  it('refuses use after close', async () => {
    // given
    const log = await openLog();
    log.append(1, payloadOf(1));

    // when
    await log.close();

    // then
    expect(() => log.append(1, payloadOf(2))).toThrow(/closed/);
    expect(() => log.flush()).toThrow(/closed/);
  });
});
