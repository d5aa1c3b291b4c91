/**
 * Keys carry the partition id in their high bits, as Zeebe's do (partitionId << 51), so any key routes to the
 * partition that owns it. Keys are bigints: from partition 4 on they exceed 2^53 and would be corrupted by JS numbers.
 */
export const KEY_BITS = 51n;
const LOCAL_KEY_MASK = (1n << KEY_BITS) - 1n;
export const PARTITION_ID_MAX = 8191;

/** The key that stands for "no key" in records (Zeebe writes -1). */
export const NO_KEY = -1n;

export function encodeKey(partitionId: number, localKey: bigint): bigint {
  if (!Number.isInteger(partitionId) || partitionId < 0 || partitionId > PARTITION_ID_MAX) {
    throw new RangeError(`Expected a partition id between 0 and ${PARTITION_ID_MAX}, but got ${partitionId}`);
  }
  if (localKey < 0n || localKey > LOCAL_KEY_MASK) {
    throw new RangeError(`Expected a local key between 0 and 2^51-1, but got ${localKey}`);
  }
  return (BigInt(partitionId) << KEY_BITS) | localKey;
}

export function partitionIdOf(key: bigint): number {
  return Number(key >> KEY_BITS);
}

export function localKeyOf(key: bigint): bigint {
  return key & LOCAL_KEY_MASK;
}

/** Parses a key sent as a decimal string (int64 fields travel as strings); undefined when it is not a valid key. */
export function parseKey(text: string | number | bigint): bigint | undefined {
  if (typeof text === 'bigint') return text;
  if (typeof text === 'number') return Number.isSafeInteger(text) ? BigInt(text) : undefined;
  if (!/^-?\d{1,19}$/.test(text)) return undefined;
  const value = BigInt(text);
  if (value > 0x7fffffffffffffffn || value < -0x8000000000000000n) return undefined;
  return value;
}
