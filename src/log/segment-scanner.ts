import type { FileHandle } from 'node:fs/promises';
import { OffsetTable } from './offset-table.js';
import {
  ENTRY_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  entryChecksum,
  entryIndex,
  entryPayloadLength,
  entryStoredChecksum,
  entryTerm,
} from './segment-format.js';
import type { TermIndex } from './term-index.js';

/** Recovery reads segments in windows of this size, so that a scan needs little memory however large segments are. */
const SCAN_WINDOW_BYTES = 4 * 1024 * 1024;

/** Why the scan stopped before the end of the file. Only 'incomplete' and 'checksum' can be a torn write. */
export interface EntryDamage {
  kind: 'incomplete' | 'checksum' | 'index' | 'term';
  offsetBytes: number;
  /** The index that was expected at offsetBytes. */
  index: number;
  detail: string;
}

export interface EntryScan {
  offsets: OffsetTable;
  /** The bytes up to the end of the last valid entry. */
  validBytes: number;
  lastTerm: number;
  damage?: EntryDamage;
}

/**
 * Checks every entry of a segment in order (length, checksum, consecutive index, non-decreasing term), records their
 * offsets and terms, and stops at the first damaged one.
 */
export async function scanSegmentEntries(
  handle: FileHandle,
  fileBytes: number,
  firstIndex: number,
  terms: TermIndex,
  lastTermBefore: number,
): Promise<EntryScan> {
  const window = new FileWindow(handle, fileBytes);
  const offsets = new OffsetTable();
  let offsetBytes = SEGMENT_HEADER_BYTES;
  let index = firstIndex;
  let lastTerm = lastTermBefore;
  while (offsetBytes < fileBytes) {
    const damage = (kind: EntryDamage['kind'], detail: string): EntryScan => ({
      offsets,
      validBytes: offsetBytes,
      lastTerm,
      damage: { kind, offsetBytes, index, detail },
    });
    if (offsetBytes + ENTRY_HEADER_BYTES > fileBytes) return damage('incomplete', 'the entry header is incomplete');
    const payloadBytes = entryPayloadLength(await window.bytes(offsetBytes, ENTRY_HEADER_BYTES), window.at);
    const lengthBytes = ENTRY_HEADER_BYTES + payloadBytes;
    if (offsetBytes + lengthBytes > fileBytes) return damage('incomplete', `the entry claims ${payloadBytes} payload bytes, past the end of the file`);
    const bytes = await window.bytes(offsetBytes, lengthBytes);
    const at = window.at;
    if (entryChecksum(bytes, at, payloadBytes) !== entryStoredChecksum(bytes, at)) return damage('checksum', 'checksum mismatch');
    const foundIndex = entryIndex(bytes, at);
    if (foundIndex !== index) return damage('index', `found entry ${foundIndex} where entry ${index} belongs (indexes must be consecutive)`);
    const term = entryTerm(bytes, at);
    if (!(term >= lastTerm)) return damage('term', `term ${term} is lower than the term ${lastTerm} before it (terms never decrease)`);
    offsets.push(offsetBytes);
    terms.append(index, term);
    lastTerm = term;
    offsetBytes += lengthBytes;
    index++;
  }
  return { offsets, validBytes: offsetBytes, lastTerm };
}

/**
 * Whether any intact entry (checksum valid, index at least `indexMin`) starts after `fromBytes`. This tells a torn
 * write (garbage up to the end of the file) from damage in the middle of data that was written completely. Every
 * byte position is tried, because a damaged length field makes the position of the next entry unknown. A random
 * match needs a plausible index and a matching crc32, so false alarms are vanishingly rare.
 */
export async function intactEntryFollows(handle: FileHandle, fileBytes: number, fromBytes: number, indexMin: number): Promise<boolean> {
  const tail = Buffer.alloc(Math.max(0, fileBytes - fromBytes));
  await readFully(handle, tail, fromBytes);
  for (let at = 1; at + ENTRY_HEADER_BYTES <= tail.length; at++) {
    const payloadBytes = entryPayloadLength(tail, at);
    if (at + ENTRY_HEADER_BYTES + payloadBytes > tail.length) continue;
    if (!(entryIndex(tail, at) >= indexMin)) continue;
    if (entryChecksum(tail, at, payloadBytes) === entryStoredChecksum(tail, at)) return true;
  }
  return false;
}

export async function readFully(handle: FileHandle, target: Buffer, positionBytes: number): Promise<void> {
  let readBytes = 0;
  while (readBytes < target.length) {
    const { bytesRead } = await handle.read(target, readBytes, target.length - readBytes, positionBytes + readBytes);
    if (bytesRead === 0) throw new Error(`Unexpected end of file at byte ${positionBytes + readBytes}`);
    readBytes += bytesRead;
  }
}

/** A read-ahead window over a file; bytes() returns the window and sets `at` to where the asked range starts in it. */
class FileWindow {
  /** Reused for every window: the scan keeps numbers (offsets, terms), never references into the window. */
  private readonly backing = Buffer.allocUnsafe(SCAN_WINDOW_BYTES);
  private window = Buffer.alloc(0);
  private windowStartBytes = 0;
  at = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly fileBytes: number,
  ) {}

  async bytes(offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    const inWindow = offsetBytes >= this.windowStartBytes && offsetBytes + lengthBytes <= this.windowStartBytes + this.window.length;
    if (!inWindow) {
      const windowBytes = Math.max(lengthBytes, Math.min(SCAN_WINDOW_BYTES, this.fileBytes - offsetBytes));
      this.window = windowBytes <= this.backing.length ? this.backing.subarray(0, windowBytes) : Buffer.allocUnsafe(windowBytes);
      await readFully(this.handle, this.window, offsetBytes);
      this.windowStartBytes = offsetBytes;
    }
    this.at = offsetBytes - this.windowStartBytes;
    return this.window;
  }
}
