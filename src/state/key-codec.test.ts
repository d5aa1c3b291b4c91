import { describe, expect, it } from 'vitest';
import { decodeKey, encodeColumnPrefix, encodeKey } from './key-codec.js';
import type { KeyPart } from './types.js';

const prefix = encodeColumnPrefix('column');

function compareParts(left: KeyPart, right: KeyPart): number {
  const rank = (part: KeyPart) => (typeof part === 'bigint' ? 0 : typeof part === 'number' ? 1 : 2);
  if (rank(left) !== rank(right)) return rank(left) - rank(right);
  if (typeof left === 'string') return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right as string, 'utf8'));
  const other = right as number | bigint;
  return left < other ? -1 : left > other ? 1 : 0;
}

function compareTuples(left: KeyPart[], right: KeyPart[]): number {
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    const order = compareParts(left[index], right[index]);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

const tuples: KeyPart[][] = [
  [-(2n ** 63n)],
  [-(2n ** 53n) - 1n],
  [-1n],
  [0n],
  [1n],
  [5n, -3],
  [5n, 'x', -3],
  [5n, 'x', 7],
  [5n, 'y'],
  [2n ** 53n + 1n],
  [2n ** 63n - 1n],
  [-Infinity],
  [-1e300],
  [-2.5],
  [-1],
  [-Number.MIN_VALUE],
  [0],
  [Number.MIN_VALUE],
  [0.5],
  [1],
  [2 ** 53],
  [Infinity],
  [''],
  ['\0'],
  ['a'],
  ['a', 1n],
  ['a\0'],
  ['a\0b'],
  ['ab'],
  ['b'],
  ['é'],
  ['\uffff'],
  ['😀'],
];

describe('key codec', () => {
  it('orders encoded keys like the tuples they encode', () => {
    // given the tuples in a scrambled order
    const scrambled = [...tuples].reverse();
    scrambled.push(scrambled.shift()!);

    // when sorting their encodings bytewise, as RocksDB does
    const byBytes = scrambled.map((tuple) => ({ tuple, key: encodeKey(prefix, tuple) })).sort((left, right) => Buffer.compare(left.key, right.key));

    // then the order is the logical order (strings by code point, so '😀' after '\uffff')
    expect([...tuples].sort(compareTuples)).toEqual(tuples);
    expect(byBytes.map(({ tuple }) => tuple)).toEqual(tuples);
  });

  it('decodes every encoded key back to its column name and parts', () => {
    for (const tuple of tuples) {
      expect(decodeKey(encodeKey(prefix, tuple))).toEqual({ columnName: 'column', parts: tuple });
    }
  });

  it('encodes -0 as 0, because the in-memory Map treats them as one key', () => {
    expect(encodeKey(prefix, [-0])).toEqual(encodeKey(prefix, [0]));
  });

  it('keeps columns apart even when one name is a prefix of another', () => {
    const short = encodeKey(encodeColumnPrefix('job'), ['s']);
    const long = encodeKey(encodeColumnPrefix('jobs'), ['']);
    expect(short.subarray(0, encodeColumnPrefix('jobs').length).equals(encodeColumnPrefix('jobs'))).toBe(false);
    expect(decodeKey(long).columnName).toBe('jobs');
  });

  it('rejects key parts that have no order', () => {
    expect(() => encodeKey(prefix, [NaN])).toThrow(/NaN/);
    expect(() => encodeKey(prefix, [2n ** 63n])).toThrow(/int64/);
    expect(() => encodeKey(prefix, [true as unknown as string])).toThrow(/string, bigint or number/);
  });
});
