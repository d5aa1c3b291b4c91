import { LogCorruptedError } from './log-corrupted-error.js';
import type { LogEntry } from './log-entry.js';
import {
  ENTRY_HEADER_BYTES,
  entryChecksum,
  entryIndex,
  entryPayloadLength,
  entryStoredChecksum,
  entryTerm,
} from './segment-format.js';

/**
 * Decodes the entry whose bytes start at `at` and checks it is the one the offset table promised. Bytes read back
 * from disk are checksummed too, because the disk may return something else than what was written (bit rot, a
 * misdirected write); bytes still in our own memory are not, since we checksummed them when encoding.
 */
export function decodeStoredEntry(
  bytes: Buffer,
  at: number,
  lengthBytes: number,
  expected: { file: string; offsetBytes: number; index: number; verifyChecksum: boolean },
): LogEntry {
  const payloadBytes = entryPayloadLength(bytes, at);
  const index = entryIndex(bytes, at);
  const fail = (problem: string): never => {
    throw new LogCorruptedError(expected.file, expected.offsetBytes, expected.index, `${problem} when reading it back`);
  };
  if (ENTRY_HEADER_BYTES + payloadBytes !== lengthBytes) fail(`payload length ${payloadBytes} does not fit the ${lengthBytes} bytes stored`);
  if (index !== expected.index) fail(`found entry ${index}`);
  if (expected.verifyChecksum && entryChecksum(bytes, at, payloadBytes) !== entryStoredChecksum(bytes, at)) fail('checksum mismatch');
  const payloadStart = at + ENTRY_HEADER_BYTES;
  return { index, term: entryTerm(bytes, at), payload: bytes.subarray(payloadStart, payloadStart + payloadBytes) };
}
