import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import * as zlib from 'node:zlib';
import { fsyncDirectory } from '../files/durable-files.js';
import type { HardState } from './log-storage.js';

/**
 * The hard state file, format version 1: two slots of 64 bytes, written alternately, so that a write torn by a crash
 * leaves the other slot intact. Load takes the valid slot with the higher sequence number. All integers are little
 * endian; u64 fields hold integers up to Number.MAX_SAFE_INTEGER.
 *
 *   offset  size  field
 *        0     4  u32 format version (1)
 *        4     4  u32 crc32 of bytes 8..48
 *        8     8  u64 sequence number (1 for the first write)
 *       16     8  u64 term
 *       24     8  u64 votedFor + 1 (0: no vote)
 *       32     8  u64 commit index
 *       40     8  u64 logLostInTerm + 1 (0: not recovering)
 *       48    16  reserved (0)
 *
 * A torn write is never one that counted: a vote or a new term is synced before any message depending on it is sent.
 */
export const HARD_STATE_FORMAT_VERSION = 1;
const SLOT_BYTES = 64;
const CHECKED_BYTES_END = 48;
const TWO_TO_THE_32 = 2 ** 32;

export class HardStateCorruptedError extends Error {
  override readonly name = 'HardStateCorruptedError';
  readonly retriable = false;
}

interface Slot {
  sequence: number;
  state: HardState;
}

/**
 * The term, vote and commit index of one replica on disk. Writes are serialised; a write asked for while another
 * runs joins the next one, which carries the latest state (the commit index is written lazily and may lag).
 */
export class HardStateFile {
  private sequence: number;
  private latest: HardState | undefined;
  private written: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private queuedSync = false;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly fsync: boolean,
    loaded: Slot | undefined,
  ) {
    this.sequence = loaded?.sequence ?? 0;
    this.latest = loaded?.state;
  }

  /** Opens (creating) the file at filePath and reads the last state written completely. */
  static async open(filePath: string, options: { fsync?: boolean } = {}): Promise<HardStateFile> {
    const fsync = options.fsync ?? true;
    // Created with 'a', then written through 'r+': positional writes on Linux ignore the position in append mode.
    await (await open(filePath, 'a')).close();
    const handle = await open(filePath, 'r+');
    try {
      const bytes = await handle.readFile();
      if (bytes.length === 0 && fsync) await fsyncDirectory(path.dirname(filePath));
      return new HardStateFile(handle, fsync, decodeSlots(bytes, filePath));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** What the last run wrote; undefined for a new replica. */
  get state(): HardState | undefined {
    return this.latest === undefined ? undefined : { ...this.latest };
  }

  /**
   * Writes state into the older slot. With sync the promise resolves once it is durable; without, it is written
   * (and synced) behind any write in flight, and the promise may be ignored.
   */
  save(state: HardState, sync: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The hard state file is closed'));
    this.latest = { ...state };
    this.queuedSync ||= sync;
    this.queued ??= this.written.then(() => this.writeLatest());
    this.written = this.queued;
    return this.queued;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.written.catch(() => undefined);
    await this.handle.close();
  }

  private async writeLatest(): Promise<void> {
    this.queued = undefined;
    this.queuedSync = false;
    this.sequence++;
    const bytes = encodeSlot(this.sequence, this.latest!);
    await this.handle.write(bytes, 0, bytes.length, (this.sequence % 2) * SLOT_BYTES);
    if (this.fsync) await this.handle.datasync();
  }
}

export function encodeSlot(sequence: number, state: HardState): Buffer {
  const bytes = Buffer.alloc(SLOT_BYTES);
  bytes.writeUInt32LE(HARD_STATE_FORMAT_VERSION, 0);
  writeU64(bytes, 8, sequence);
  writeU64(bytes, 16, state.term);
  writeU64(bytes, 24, state.votedFor === undefined ? 0 : state.votedFor + 1);
  writeU64(bytes, 32, state.commitIndex);
  writeU64(bytes, 40, state.logLostInTerm === undefined ? 0 : state.logLostInTerm + 1);
  bytes.writeUInt32LE(zlib.crc32(bytes.subarray(8, CHECKED_BYTES_END)), 4);
  return bytes;
}

function decodeSlots(bytes: Buffer, filePath: string): Slot | undefined {
  const slots = [0, 1].map((position) => bytes.subarray(position * SLOT_BYTES, (position + 1) * SLOT_BYTES));
  const valid = slots.map(decodeSlot).filter((slot): slot is Slot => slot !== undefined);
  if (valid.length > 0) return valid.reduce((newest, slot) => (slot.sequence > newest.sequence ? slot : newest));
  // Nothing valid: a torn first write (the second slot never written) means nothing was ever synced; anything else
  // is damage that could forget a vote, and a replica that forgets its vote may elect two leaders in one term.
  const secondSlotNeverWritten = slots[1].every((byte) => byte === 0);
  if (bytes.length <= 2 * SLOT_BYTES && secondSlotNeverWritten) return undefined;
  throw new HardStateCorruptedError(`The Raft hard state in ${filePath} has no valid slot (${bytes.length} bytes): refusing to start a replica that may have forgotten its vote`);
}

function decodeSlot(bytes: Buffer): Slot | undefined {
  if (bytes.length < SLOT_BYTES || bytes.readUInt32LE(0) !== HARD_STATE_FORMAT_VERSION) return undefined;
  if (zlib.crc32(bytes.subarray(8, CHECKED_BYTES_END)) !== bytes.readUInt32LE(4)) return undefined;
  const votedForPlusOne = readU64(bytes, 24);
  const logLostInTermPlusOne = readU64(bytes, 40);
  const state: HardState = { term: readU64(bytes, 16), votedFor: votedForPlusOne === 0 ? undefined : votedForPlusOne - 1, commitIndex: readU64(bytes, 32) };
  if (logLostInTermPlusOne !== 0) state.logLostInTerm = logLostInTermPlusOne - 1;
  return { sequence: readU64(bytes, 8), state };
}

function writeU64(target: Buffer, at: number, value: number): void {
  target.writeUInt32LE(value % TWO_TO_THE_32, at);
  target.writeUInt32LE(Math.floor(value / TWO_TO_THE_32), at + 4);
}

function readU64(source: Buffer, at: number): number {
  return source.readUInt32LE(at + 4) * TWO_TO_THE_32 + source.readUInt32LE(at);
}
