import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { SegmentedLog } from '../segmented-log.js';

/** Entries of 24 + 40 bytes; with segments of 300 bytes (32 of them header), four fit in a segment. */
export const SEGMENT_SIZE_BYTES_MAX = 300;
export const SEGMENT_HEADER_BYTES = 32;
export const ENTRY_BYTES = 64;

/** A fresh directory per test for logs of small segments, the warnings they gave, and the logs left to close. */
export interface LogDirectory {
  directory: string;
  warnings: string[];
  openLogs: SegmentedLog[];
  /** Opens the log in the directory with small segments, collecting its warnings. */
  openLog(): Promise<SegmentedLog>;
  closeLog(log: SegmentedLog): Promise<void>;
  segmentPath(firstIndex: number, extension?: 'log' | 'idx'): string;
}

/** Registers the hooks that give each test of the file its own directory (closing its logs and deleting it after). */
export function useLogDirectory(prefix: string): LogDirectory {
  const fixture: LogDirectory = {
    directory: '',
    warnings: [],
    openLogs: [],
    async openLog() {
      const log = await SegmentedLog.open({ directory: fixture.directory, segmentSizeBytesMax: SEGMENT_SIZE_BYTES_MAX, onWarning: (message) => fixture.warnings.push(message) });
      fixture.openLogs.push(log);
      return log;
    },
    async closeLog(log) {
      await log.close();
      fixture.openLogs.splice(fixture.openLogs.indexOf(log), 1);
    },
    segmentPath(firstIndex, extension = 'log') {
      return path.join(fixture.directory, `${String(firstIndex).padStart(20, '0')}.${extension}`);
    },
  };
  beforeEach(async () => {
    fixture.directory = await mkdtemp(path.join(os.tmpdir(), prefix));
    fixture.warnings = [];
  });
  afterEach(async () => {
    await Promise.allSettled(fixture.openLogs.splice(0).map((log) => log.close()));
    await rm(fixture.directory, { recursive: true, force: true });
  });
  return fixture;
}

/** A 40-byte payload naming its entry. */
export function payloadOf(index: number, tag = 'entry'): Buffer {
  return Buffer.from(`${tag}-${index}-`.padEnd(40, 'x'));
}

/** Inverts one byte of a file in place, as bit rot would. */
export async function flipByte(file: string, offsetBytes: number): Promise<void> {
  const handle = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offsetBytes);
  byte[0] ^= 0xff;
  await handle.write(byte, 0, 1, offsetBytes);
  await handle.close();
}
