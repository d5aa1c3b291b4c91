import { readFile, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LogCorruptedError, SegmentedLog } from './index.js';
import { ENTRY_BYTES, SEGMENT_HEADER_BYTES, SEGMENT_SIZE_BYTES_MAX, flipByte, payloadOf, useLogDirectory } from './test-support/log-directory.js';

const logs = useLogDirectory('tributary-log-recovery-');
const { openLog } = logs;

/** A log of `count` entries, closed again. */
async function givenLogWith(count: number): Promise<void> {
  const log = await openLog();
  for (let index = 1; index <= count; index++) log.append(1, payloadOf(index));
  await log.close();
  logs.openLogs.length = 0;
}

async function openError(): Promise<LogCorruptedError> {
  const error = await SegmentedLog.open({ directory: logs.directory, segmentSizeBytesMax: SEGMENT_SIZE_BYTES_MAX }).then(
    (log) => {
      logs.openLogs.push(log);
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
    const sizeBytes = (await stat(logs.segmentPath(5))).size;
    await truncate(logs.segmentPath(5), sizeBytes - ENTRY_BYTES / 2);

    // when
    const log = await openLog();

    // then
    expect([log.lastIndex, log.durableIndex]).toEqual([6, 6]);
    expect((await stat(logs.segmentPath(5))).size).toBe(sizeBytes - ENTRY_BYTES);
    expect(logs.warnings).toEqual([expect.stringMatching(/Truncated a torn write at the end of log segment .*00000000000000000005\.log: 32 bytes from byte 160 \(entry 7/)]);
    expect(await log.appendDurably(1, payloadOf(7))).toBe(7);
    expect(log.read(7)?.payload).toEqual(payloadOf(7));
    expect(log.read(6)?.payload).toEqual(payloadOf(6));
  });

  it('truncates an incomplete entry header', async () => {
    // given
    await givenLogWith(6);
    const sizeBytes = (await stat(logs.segmentPath(5))).size;
    await truncate(logs.segmentPath(5), sizeBytes - ENTRY_BYTES + 10);

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(5);
    expect(logs.warnings).toHaveLength(1);
  });

  it('truncates a last entry whose checksum fails when nothing follows it', async () => {
    // given: a complete-looking last entry with a damaged payload (its sectors were not all written)
    await givenLogWith(6);
    const sizeBytes = (await stat(logs.segmentPath(5))).size;
    await flipByte(logs.segmentPath(5), sizeBytes - 5);

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(5);
    expect(log.read(5)?.payload).toEqual(payloadOf(5));
  });

  it('deletes a last segment whose header was never completely written', async () => {
    // given
    await givenLogWith(4);
    await writeFile(logs.segmentPath(5), Buffer.from('TRIBLOG'));

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(4);
    expect(logs.warnings).toEqual([expect.stringMatching(/Deleted log segment .*00000000000000000005\.log/)]);
    expect(await log.appendDurably(1, payloadOf(5))).toBe(5);
  });

  it('refuses to open when a flipped byte in the middle has intact entries after it', async () => {
    // given: damage in entry 6 of the last segment, with entries 7 and 8 intact after it
    await givenLogWith(8);
    const entrySixOffsetBytes = SEGMENT_HEADER_BYTES + ENTRY_BYTES;
    await flipByte(logs.segmentPath(5), entrySixOffsetBytes + 30);

    // when
    const error = await openError();

    // then
    expect(error.file).toBe(logs.segmentPath(5));
    expect([error.offset, error.index]).toEqual([entrySixOffsetBytes, 6]);
    expect(error.message).toBe(
      `Log segment 00000000000000000005.log in ${logs.directory} is corrupted at byte 96 (entry 6): checksum mismatch; ` +
        'refusing to start. The entries after it are intact, so this is not a torn write.',
    );
  });

  it('refuses to open when the length of an entry in the middle is damaged', async () => {
    // given
    await givenLogWith(8);
    await flipByte(logs.segmentPath(5), SEGMENT_HEADER_BYTES + 1);

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/00000000000000000005\.log .* at byte 32 \(entry 5\).*not a torn write/);
  });

  it('refuses to open when an earlier segment without an index file is damaged, even at its end', async () => {
    // given: no index file (as after an upgrade), so recovery checks every entry; with one, the damage surfaces when
    // the entry is read (segment-index.test.ts)
    await givenLogWith(8);
    await unlink(logs.segmentPath(1).replace(/\.log$/, '.idx'));
    await flipByte(logs.segmentPath(1), SEGMENT_HEADER_BYTES + 4 * ENTRY_BYTES - 1);

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/00000000000000000001\.log .* at byte 224 \(entry 4\): checksum mismatch; refusing to start\. Only the last segment/);
  });

  it('refuses to open when a segment file is missing from the middle', async () => {
    // given
    await givenLogWith(10);
    await unlink(logs.segmentPath(5));

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/00000000000000000009\.log .*the segment starts at entry 9, but the previous segment ends at entry 4/);
  });

  it('refuses to open a segment of an unknown format version', async () => {
    // given: version 2 with a header checksum that matches, as a newer build would write it
    await givenLogWith(2);
    const bytes = await readFile(logs.segmentPath(1));
    bytes.writeUInt32LE(2, 8);
    const { crc32 } = await import('node:zlib');
    bytes.writeUInt32LE(crc32(bytes.subarray(0, 24)), 24);
    await writeFile(logs.segmentPath(1), bytes);

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/unknown segment format version 2 \(this build reads version 1\); refusing to start/);
  });

  it('refuses to open when an intact entry carries the wrong index', async () => {
    // given: segment 5 renamed so that its entries claim indexes the name does not promise
    await givenLogWith(4);
    const log = await SegmentedLog.open({ directory: path.join(logs.directory, 'other') });
    for (let index = 1; index <= 2; index++) log.append(1, payloadOf(index));
    await log.close();
    const entries = (await readFile(path.join(logs.directory, 'other', '00000000000000000001.log'))).subarray(SEGMENT_HEADER_BYTES);
    await writeFile(logs.segmentPath(1), Buffer.concat([await readFile(logs.segmentPath(1)), entries]));

    // when
    const error = await openError();

    // then
    expect(error.message).toMatch(/at byte 288 \(entry 5\): found entry 1 where entry 5 belongs/);
  });
});
