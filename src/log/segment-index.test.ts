import { mkdir, readFile, readdir, truncate, unlink, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { LogCorruptedError, SegmentedLog, type LogEntry } from './index.js';
import { ENTRY_BYTES, SEGMENT_HEADER_BYTES, flipByte, payloadOf, useLogDirectory } from './test-support/log-directory.js';

const logs = useLogDirectory('tributary-log-index-');
const { openLog, closeLog } = logs;

/** Entries 1..count, the term rising every five entries so that term runs cross segment boundaries. */
async function givenLogWith(count: number): Promise<LogEntry[]> {
  const log = await openLog();
  const entries: LogEntry[] = [];
  for (let index = 1; index <= count; index++) {
    const term = 1 + Math.floor((index - 1) / 5);
    log.append(term, payloadOf(index));
    entries.push({ index, term, payload: payloadOf(index) });
  }
  await closeLog(log);
  return entries;
}

async function filesEndingWith(extension: string): Promise<number[]> {
  const names = (await readdir(logs.directory)).filter((name) => name.endsWith(extension)).sort();
  return names.map((name) => Number(name.slice(0, 20)));
}

function readAll(log: SegmentedLog): LogEntry[] {
  const reader = log.reader(log.firstIndex);
  const entries: LogEntry[] = [];
  for (let entry = reader.next(); entry !== undefined; entry = reader.next()) entries.push(entry);
  return entries;
}

async function expectLogHolds(log: SegmentedLog, entries: LogEntry[]): Promise<void> {
  expect([log.firstIndex, log.lastIndex, log.lastTerm]).toEqual([entries[0].index, entries.at(-1)!.index, entries.at(-1)!.term]);
  expect(readAll(log)).toEqual(entries);
  for (const entry of entries) expect(log.termAt(entry.index)).toBe(entry.term);
}

describe('segment index files', () => {
  it('writes an index for every sealed segment, never for the last one, and reopens to the same log', async () => {
    // given: entries 1..30 in segments 1, 5, ..., 29
    const entries = await givenLogWith(30);

    // when
    const log = await openLog();

    // then
    expect(await filesEndingWith('.log')).toEqual([1, 5, 9, 13, 17, 21, 25, 29]);
    expect(await filesEndingWith('.idx')).toEqual([1, 5, 9, 13, 17, 21, 25]);
    await expectLogHolds(log, entries);
    expect(logs.warnings).toEqual([]);
    expect(await log.appendDurably(6, payloadOf(31))).toBe(31);
  });

  it('writes the index once the log rolls past a segment, while the log stays open', async () => {
    // given
    const log = await openLog();
    for (let index = 1; index <= 9; index++) log.append(1, payloadOf(index));

    // when: the flush seals segments 1 and 5; the index is written by the file operation after it
    await log.flush();
    await log.flush();

    // then
    expect(await filesEndingWith('.idx')).toEqual([1, 5]);
  });

  it('trusts a sealed segment with a valid index without checking every entry, and finds damage when reading it', async () => {
    // given: a flipped payload byte in entry 2, inside sealed segment 1
    await givenLogWith(8);
    await flipByte(logs.segmentPath(1, 'log'), SEGMENT_HEADER_BYTES + ENTRY_BYTES + 30);

    // when
    const log = await openLog();

    // then
    expect(log.lastIndex).toBe(8);
    expect(() => log.read(2)).toThrow(LogCorruptedError);
    expect(() => log.read(2)).toThrow(/00000000000000000001\.log .* at byte 96 \(entry 2\): checksum mismatch when reading it back/);
    expect(log.read(3)?.payload).toEqual(payloadOf(3));
  });

  describe('ignores an index it cannot trust, opens correctly and writes the index again', () => {
    const damages: [string, (file: string) => Promise<void>][] = [
      ['deleted', (file) => unlink(file)],
      ['torn', async (file) => truncate(file, (await readFile(file)).length - 7)],
      ['bit-flipped in an offset', (file) => flipByte(file, 48 + 4 * 2)],
      ['bit-flipped in its checksum', async (file) => flipByte(file, (await readFile(file)).length - 1)],
      ['empty', (file) => writeFile(file, Buffer.alloc(0))],
    ];
    for (const [damage, damageFile] of damages) {
      it(`when it is ${damage}`, async () => {
        // given
        const entries = await givenLogWith(13);
        const intactIndex = await readFile(logs.segmentPath(5, 'idx'));
        await damageFile(logs.segmentPath(5, 'idx'));

        // when
        const log = await openLog();

        // then
        await expectLogHolds(log, entries);
        expect(await readFile(logs.segmentPath(5, 'idx'))).toEqual(intactIndex);
        const expectedWarnings = damage === 'deleted' ? [] : [expect.stringMatching(/Ignored the index file .*00000000000000000005\.idx/)];
        expect(logs.warnings).toEqual(expectedWarnings);
      });
    }
  });

  it('removes the index of a sealed segment that truncateAfter cuts into, and writes a new one once it is sealed again', async () => {
    // given: segments 1, 5 and 9, the first two with an index
    const entries = (await givenLogWith(10)).slice(0, 6);
    const log = await openLog();

    // when: Raft truncates into segment 5 and the new leader's entries follow
    await log.truncateAfter(6);

    // then
    expect(await filesEndingWith('.idx')).toEqual([1]);
    expect(await filesEndingWith('.log')).toEqual([1, 5]);

    // when
    for (let index = 7; index <= 9; index++) {
      log.append(7, payloadOf(index, 'other'));
      entries.push({ index, term: 7, payload: payloadOf(index, 'other') });
    }
    await closeLog(log);

    // then
    expect(await filesEndingWith('.idx')).toEqual([1, 5]);
    await expectLogHolds(await openLog(), entries);
  });

  it('never trusts a stale index left beside a segment that was cut and appended to again', async () => {
    // given: the index of segment 5 as it was sealed with entries 5..8 of term 1 and 2
    await givenLogWith(10);
    const staleIndex = await readFile(logs.segmentPath(5, 'idx'));
    const log = await openLog();
    await log.truncateAfter(6);
    const entries = readAll(log);
    for (let index = 7; index <= 10; index++) {
      log.append(7, payloadOf(index, 'other'));
      entries.push({ index, term: 7, payload: payloadOf(index, 'other') });
    }
    await closeLog(log);

    // when: a crash kept the old index (the same segment length, entries 7 and 8 of another term)
    await writeFile(logs.segmentPath(5, 'idx'), staleIndex);
    const reopened = await openLog();

    // then
    await expectLogHolds(reopened, entries);
    expect(logs.warnings).toEqual([expect.stringMatching(/Ignored the index file .*00000000000000000005\.idx \(the segment holds another entry 8 at byte 224\)/)]);
    expect(await readFile(logs.segmentPath(5, 'idx'))).not.toEqual(staleIndex);
  });

  it('deletes index files together with their segments on compaction', async () => {
    // given
    const entries = await givenLogWith(20);
    const log = await openLog();

    // when
    await log.deleteBefore(12);

    // then
    expect(await filesEndingWith('.log')).toEqual([9, 13, 17]);
    expect(await filesEndingWith('.idx')).toEqual([9, 13]);
    await closeLog(log);
    await expectLogHolds(await openLog(), entries.slice(8));
  });

  it('removes index files that must not be trusted at open: the last segment\'s, one without its segment, temporaries', async () => {
    // given
    const entries = await givenLogWith(10);
    const index = await readFile(logs.segmentPath(5, 'idx'));
    await writeFile(logs.segmentPath(9, 'idx'), index);
    await writeFile(logs.segmentPath(13, 'idx'), index);
    await writeFile(`${logs.segmentPath(1, 'idx')}.tmp`, index.subarray(0, 10));

    // when
    const log = await openLog();

    // then
    expect((await readdir(logs.directory)).sort()).toEqual([
      '00000000000000000001.idx',
      '00000000000000000001.log',
      '00000000000000000005.idx',
      '00000000000000000005.log',
      '00000000000000000009.log',
    ]);
    await expectLogHolds(log, entries);
  });

  it('keeps working when an index file cannot be written, and scans that segment at the next open', async () => {
    // given: a logs.directory where the temporary index file of segment 1 would go
    const log = await openLog();
    await mkdir(`${logs.segmentPath(1, 'idx')}.tmp`);
    const entries: LogEntry[] = [];
    for (let index = 1; index <= 6; index++) entries.push({ index, term: 1, payload: payloadOf(index) });

    // when
    for (const entry of entries) log.append(entry.term, entry.payload);
    await log.flush();
    await closeLog(log);

    // then
    expect(logs.warnings).toEqual([expect.stringMatching(/Could not write the index file of log segment .*00000000000000000001\.log: EISDIR/)]);
    expect(await filesEndingWith('.idx')).toEqual([]);
    await expectLogHolds(await openLog(), entries);
  });
});
