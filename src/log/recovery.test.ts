import { mkdtemp, open, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogCorruptedError, SegmentedLog } from './index.js';

let directory: string;
let warnings: string[];
const openLogs: SegmentedLog[] = [];

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-log-recovery-'));
  warnings = [];
});

afterEach(async () => {
  await Promise.allSettled(openLogs.splice(0).map((log) => log.close()));
  await rm(directory, { recursive: true, force: true });
});

/** Entries of 24 + 40 bytes; with segments of 300 bytes (32 of them header), four fit in a segment. */
const SEGMENT_SIZE_BYTES_MAX = 300;
const ENTRY_BYTES = 64;
const SEGMENT_HEADER_BYTES = 32;

async function openLog(): Promise<SegmentedLog> {
  const log = await SegmentedLog.open({ directory, segmentSizeBytesMax: SEGMENT_SIZE_BYTES_MAX, onWarning: (message) => warnings.push(message) });
  openLogs.push(log);
  return log;
}

function payloadOf(index: number): Buffer {
  return Buffer.from(`entry-${index}-`.padEnd(40, 'x'));
}

/** A log of `count` entries, closed again. */
async function givenLogWith(count: number): Promise<void> {
  const log = await openLog();
  for (let index = 1; index <= count; index++) log.append(1, payloadOf(index));
  await log.close();
  openLogs.length = 0;
}

function segmentPath(firstIndex: number): string {
  return path.join(directory, `${String(firstIndex).padStart(20, '0')}.log`);
}

async function flipByte(file: string, offsetBytes: number): Promise<void> {
  const handle = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offsetBytes);
  byte[0] ^= 0xff;
  await handle.write(byte, 0, 1, offsetBytes);
  await handle.close();
}

async function openError(): Promise<LogCorruptedError> {
  const error = await SegmentedLog.open({ directory, segmentSizeBytesMax: SEGMENT_SIZE_BYTES_MAX }).then(
    (log) => {
      openLogs.push(log);
      throw new Error('Expected the log to refuse to open');
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(LogCorruptedError);
  return error as LogCorruptedError;
}

describe('log recovery', () => {
  it('truncates a half-written entry at the end of the last segment and appends after it', async () => {
    // given: entries 1..6 (segments 1..4 and 5..6), then the first half of entry 7 as a crash leaves it
    await givenLogWith(7);
    const sizeBytes = (await stat(segmentPath(5))).size;
    await truncate(segmentPath(5), sizeBytes - ENTRY_BYTES / 2);

    // when
    const log = await openLog();

    // then
    expect([log.lastIndex, log.durableIndex]).toEqual([6, 6]);
    expect((await stat(segmentPath(5))).size).toBe(sizeBytes - ENTRY_BYTES);
    expect(warnings).toEqual([expect.stringMatching(/Truncated a torn write at the end of log segment .*00000000000000000005\.log: 32 bytes from byte 160 \(entry 7/)]);
    expect(await log.appendDurably(1, payloadOf(7))).toBe(7);
    expect(log.read(7)?.payload).toEqual(payloadOf(7));
    expect(log.read(6)?.payload).toEqual(payloadOf(6));
  });

  it('truncates an incomplete entry header', async () => {
    // given
    await givenLogWith(6);
    const sizeBytes = (await stat(segmentPath(5))).size;
    await truncate(segmentPath(5), sizeBytes - ENTRY_BYTES + 10);

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(5);
    expect(warnings).toHaveLength(1);
  });

  it('truncates a last entry whose checksum fails when nothing follows it', async () => {
    // given: a complete-looking last entry with a damaged payload (its sectors were not all written)
    await givenLogWith(6);
    const sizeBytes = (await stat(segmentPath(5))).size;
    await flipByte(segmentPath(5), sizeBytes - 5);

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(5);
    expect(log.read(5)?.payload).toEqual(payloadOf(5));
  });

  it('deletes a last segment whose header was never completely written', async () => {
    // given
    await givenLogWith(4);
    await writeFile(segmentPath(5), Buffer.from('TRIBLOG'));

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(4);
    expect(warnings).toEqual([expect.stringMatching(/Deleted log segment .*00000000000000000005\.log/)]);
    expect(await log.appendDurably(1, payloadOf(5))).toBe(5);
  });

  it('refuses to open when a flipped byte in the middle has intact entries after it', async () => {
    // given: damage in entry 6 of the last segment, with entries 7 and 8 intact after it
    await givenLogWith(8);
    const entrySixOffsetBytes = SEGMENT_HEADER_BYTES + ENTRY_BYTES;
    await flipByte(segmentPath(5), entrySixOffsetBytes + 30);

    // when
    const error = await openError();

    // then
    expect(error.file).toBe(segmentPath(5));
    expect([error.offset, error.index]).toEqual([entrySixOffsetBytes, 6]);
    expect(error.message).toBe(
      `Log segment 00000000000000000005.log in ${directory} is corrupted at byte 96 (entry 6): checksum mismatch; ` +
        'refusing to start. The entries after it are intact, so this is not a torn write.',
    );
  });

  it('refuses to open when the length of an entry in the middle is damaged', async () => {
    // given
    await givenLogWith(8);
    await flipByte(segmentPath(5), SEGMENT_HEADER_BYTES + 1);

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/00000000000000000005\.log .* at byte 32 \(entry 5\).*not a torn write/);
  });

  it('refuses to open when an earlier segment without an index file is damaged, even at its end', async () => {
    // given: no index file (as after an upgrade), so recovery checks every entry; with one, the damage surfaces when
    // the entry is read (segment-index.test.ts)
    await givenLogWith(8);
    await unlink(segmentPath(1).replace(/\.log$/, '.idx'));
    await flipByte(segmentPath(1), SEGMENT_HEADER_BYTES + 4 * ENTRY_BYTES - 1);

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/00000000000000000001\.log .* at byte 224 \(entry 4\): checksum mismatch; refusing to start\. Only the last segment/);
  });

  it('refuses to open when a segment file is missing from the middle', async () => {
    // given
    await givenLogWith(10);
    await unlink(segmentPath(5));

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/00000000000000000009\.log .*the segment starts at entry 9, but the previous segment ends at entry 4/);
  });

  it('refuses to open a segment of an unknown format version', async () => {
    // given: version 2 with a header checksum that matches, as a newer build would write it
    await givenLogWith(2);
    const bytes = await readFile(segmentPath(1));
    bytes.writeUInt32LE(2, 8);
    const { crc32 } = await import('node:zlib');
    bytes.writeUInt32LE(crc32(bytes.subarray(0, 24)), 24);
    await writeFile(segmentPath(1), bytes);

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/unknown segment format version 2 \(this build reads version 1\); refusing to start/);
  });

  it('refuses to open when an intact entry carries the wrong index', async () => {
    // given: segment 5 renamed so that its entries claim indexes the name does not promise
    await givenLogWith(4);
    const log = await SegmentedLog.open({ directory: path.join(directory, 'other') });
    for (let index = 1; index <= 2; index++) log.append(1, payloadOf(index));
    await log.close();
    const entries = (await readFile(path.join(directory, 'other', '00000000000000000001.log'))).subarray(SEGMENT_HEADER_BYTES);
    await writeFile(segmentPath(1), Buffer.concat([await readFile(segmentPath(1)), entries]));

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/at byte 288 \(entry 5\): found entry 1 where entry 5 belongs/);
  });
});
