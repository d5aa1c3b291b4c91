import { mkdir, readFile, readdir, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SegmentedLog } from './index.js';
import { SPARE_SEGMENT_FILE_NAME } from './spare-segment.js';
import { ENTRY_BYTES, SEGMENT_HEADER_BYTES, SEGMENT_SIZE_BYTES_MAX, payloadOf, useLogDirectory } from './test-support/log-directory.js';

const logs = useLogDirectory('tributary-log-preallocation-');
const { openLog } = logs;

/** Four entries fill a segment (see log-directory.ts), so entries 1..4 are segment 1 and 5.. are segment 5. */
const SEALED_SEGMENT_BYTES = SEGMENT_HEADER_BYTES + 4 * ENTRY_BYTES;

/**
 * A log of `count` entries (at least 5), written so that segment 5 starts in a spare: the spare is asked for when
 * segment 1 passes half full and the test waits for it before the roll.
 */
async function logWith(count: number): Promise<SegmentedLog> {
  const log = await openLog();
  for (let index = 1; index <= 3; index++) log.append(1, payloadOf(index));
  // Segment 1 gets its file first: a segment without one would take the spare itself.
  await log.flush();
  await log.spareSegmentPrepared();
  for (let index = 4; index <= count; index++) log.append(1, payloadOf(index));
  await log.flush();
  return log;
}

async function closedLogWith(count: number): Promise<void> {
  await logs.closeLog(await logWith(count));
}

const sizeOf = async (file: string): Promise<number> => (await stat(file)).size;

describe('preallocated segment files', () => {
  it('starts the next segment in a spare of full size and cuts the sealed one to its entries', async () => {
    // when
    const log = await logWith(6);
    await log.close();

    // then: segment 5 is as long as a segment may be, with zeros after its two entries
    const segment = await readFile(logs.segmentPath(5));
    const entriesEnd = SEGMENT_HEADER_BYTES + 2 * ENTRY_BYTES;
    expect(segment.length).toBe(SEGMENT_SIZE_BYTES_MAX);
    expect(segment.subarray(entriesEnd).equals(Buffer.alloc(SEGMENT_SIZE_BYTES_MAX - entriesEnd))).toBe(true);
    expect(await sizeOf(logs.segmentPath(1))).toBe(SEALED_SEGMENT_BYTES);
    // a closed log leaves no spare behind
    expect((await readdir(logs.directory)).sort()).toEqual(['00000000000000000001.idx', '00000000000000000001.log', '00000000000000000005.log']);
    expect(logs.warnings).toEqual([]);
  });

  it('reopens a preallocated last segment without a warning and appends into its zeros', async () => {
    // given
    await closedLogWith(6);

    // when
    const log = await openLog();
    const index = await log.appendDurably(1, payloadOf(7));

    // then
    expect([index, log.lastIndex, log.durableIndex]).toEqual([7, 7, 7]);
    for (let entry = 1; entry <= 7; entry++) expect(log.read(entry)?.payload).toEqual(payloadOf(entry));
    expect(await sizeOf(logs.segmentPath(5))).toBe(SEGMENT_SIZE_BYTES_MAX);
    await logs.closeLog(log);
    const reopened = await openLog();
    expect(reopened.read(7)?.payload).toEqual(payloadOf(7));
    expect(logs.warnings).toEqual([]);
  });

  it('cuts a sealed segment that still holds its zeros (a crash before the roll cut it) and keeps its entries', async () => {
    // given: segment 1 as it was before its file was cut and indexed
    await closedLogWith(6);
    await truncate(logs.segmentPath(1), SEGMENT_SIZE_BYTES_MAX);
    await unlink(logs.segmentPath(1, 'idx'));

    // when
    const log = await openLog();

    // then
    expect([log.firstIndex, log.lastIndex]).toEqual([1, 6]);
    for (let entry = 1; entry <= 6; entry++) expect(log.read(entry)?.payload).toEqual(payloadOf(entry));
    expect(await sizeOf(logs.segmentPath(1))).toBe(SEALED_SEGMENT_BYTES);
    await logs.closeLog(log);
    await openLog();
    expect(logs.warnings).toEqual([]);
  });

  it('cuts off a torn write into the zeros with a warning', async () => {
    // given: half of entry 7 written after entry 6, zeros after it
    await closedLogWith(7);
    const segment = await readFile(logs.segmentPath(5));
    const entry7 = SEGMENT_HEADER_BYTES + 2 * ENTRY_BYTES;
    segment.fill(0, entry7 + ENTRY_BYTES / 2);
    await writeFile(logs.segmentPath(5), segment);

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(6);
    expect(logs.warnings).toEqual([expect.stringMatching(/Truncated a torn write at the end of log segment .*00000000000000000005\.log: 140 bytes from byte 160 \(entry 7/)]);
    expect(await sizeOf(logs.segmentPath(5))).toBe(entry7);
    expect(await log.appendDurably(1, payloadOf(7, 'again'))).toBe(7);
    expect(log.read(7)?.payload).toEqual(payloadOf(7, 'again'));
  });

  it('treats bytes after the zeros as a torn write (its first pages never reached the disk)', async () => {
    // given
    await closedLogWith(6);
    const segment = await readFile(logs.segmentPath(5));
    segment.fill(0x5a, SEGMENT_SIZE_BYTES_MAX - 10);
    await writeFile(logs.segmentPath(5), segment);

    // when
    const log = await openLog();

    // then: everything after entry 6 is gone, so no stale bytes can follow later entries
    expect(log.lastIndex).toBe(6);
    expect(logs.warnings).toHaveLength(1);
    expect(await sizeOf(logs.segmentPath(5))).toBe(SEGMENT_HEADER_BYTES + 2 * ENTRY_BYTES);
  });

  it('deletes a spare left by a crash, and a segment that was a spare with no byte written yet', async () => {
    // given: a spare file, and a segment 7 all zeros (claimed from a spare; the crash came before its first write)
    await closedLogWith(6);
    await writeFile(path.join(logs.directory, SPARE_SEGMENT_FILE_NAME), Buffer.alloc(SEGMENT_SIZE_BYTES_MAX));
    await writeFile(logs.segmentPath(7), Buffer.alloc(SEGMENT_SIZE_BYTES_MAX));

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(6);
    expect((await readdir(logs.directory)).sort()).toEqual(['00000000000000000001.idx', '00000000000000000001.log', '00000000000000000005.log']);
    expect(logs.warnings).toEqual([expect.stringMatching(/Deleted log segment .*00000000000000000007\.log: its header is incomplete/)]);
  });

  it('creates the next segment as a new file, with a warning, when no spare can be written', async () => {
    // given: a directory where the spare file would go
    const log = await openLog();
    await mkdir(path.join(logs.directory, SPARE_SEGMENT_FILE_NAME));
    for (let index = 1; index <= 3; index++) log.append(1, payloadOf(index));
    await log.flush();
    await log.spareSegmentPrepared();

    // when
    for (let index = 4; index <= 5; index++) log.append(1, payloadOf(index));
    await log.flush();

    // then: nothing lost, and segment 5 ends where its entry ends
    expect(logs.warnings).toEqual([expect.stringMatching(/Could not prepare a spare log segment in .*spare-segment\.tmp \(.*\); the next segment starts empty\./)]);
    expect(await sizeOf(logs.segmentPath(5))).toBe(SEGMENT_HEADER_BYTES + ENTRY_BYTES);
    for (let entry = 1; entry <= 5; entry++) expect(log.read(entry)?.payload).toEqual(payloadOf(entry));
  });
});
