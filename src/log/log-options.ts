export interface LogOptions {
  directory: string;
  /** A segment rolls over when the next entry would make it larger than this. Default 64 MiB. */
  segmentSizeBytesMax?: number;
  /** Whether flush fdatasyncs. Default true; false only for benchmarks that compare without durability. */
  fsync?: boolean;
  /** The largest payload append accepts. Default 16 MiB. */
  entrySizeBytesMax?: number;
  /**
   * Receives what recovery repaired on its own (a truncated torn tail). Default: process.emitWarning. Damage that
   * could lose acknowledged entries is never repaired; open rejects with LogCorruptedError instead.
   */
  onWarning?: (message: string) => void;
}

export interface ResolvedLogOptions {
  directory: string;
  segmentSizeBytesMax: number;
  fsync: boolean;
  entrySizeBytesMax: number;
  onWarning: (message: string) => void;
}

const MEBIBYTE = 1024 * 1024;
/** Offsets within a segment are kept in a Uint32Array, so a segment must stay below 4 GiB. */
const SEGMENT_SIZE_BYTES_LIMIT = 2 * 1024 * MEBIBYTE;
const ENTRY_SIZE_BYTES_LIMIT = 1024 * MEBIBYTE;
/** Room for the segment header and one small entry: smaller segments would only be a configuration mistake. */
const SEGMENT_SIZE_BYTES_MIN = 128;

export function resolveLogOptions(options: LogOptions): ResolvedLogOptions {
  if (typeof options.directory !== 'string' || options.directory === '') {
    throw new TypeError('Expected LogOptions.directory to be a non-empty path');
  }
  const resolved: ResolvedLogOptions = {
    directory: options.directory,
    segmentSizeBytesMax: options.segmentSizeBytesMax ?? 64 * MEBIBYTE,
    fsync: options.fsync ?? true,
    entrySizeBytesMax: options.entrySizeBytesMax ?? 16 * MEBIBYTE,
    onWarning: options.onWarning ?? ((message) => process.emitWarning(message, 'TributaryLogWarning')),
  };
  assertIntegerInRange('segmentSizeBytesMax', resolved.segmentSizeBytesMax, SEGMENT_SIZE_BYTES_MIN, SEGMENT_SIZE_BYTES_LIMIT);
  assertIntegerInRange('entrySizeBytesMax', resolved.entrySizeBytesMax, 0, ENTRY_SIZE_BYTES_LIMIT);
  return resolved;
}

function assertIntegerInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Expected LogOptions.${name} to be an integer from ${min} to ${max} bytes, got ${value}`);
  }
}
