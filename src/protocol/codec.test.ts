import { describe, expect, it } from 'vitest';
import {
  decodeRecordBatch,
  decodeValue,
  encodeKey,
  encodeRecordBatch,
  encodeValue,
  localKeyOf,
  parseKey,
  partitionIdOf,
  peekFirstPosition,
  toExportedJson,
  type Record,
} from './index.js';

const record = (position: number, key: bigint): Record => ({
  partitionId: 4,
  position,
  sourceRecordPosition: position - 1,
  key,
  timestamp: 1_700_000_000_123,
  recordType: 'EVENT',
  valueType: 'JOB',
  intent: 'CREATED',
  rejectionType: 'NULL_VAL',
  rejectionReason: '',
  brokerVersion: '8.8.0',
  value: { type: 'pay', retries: 3, processInstanceKey: key + 1n, customHeaders: { a: 'b' }, variables: { n: 1.5, list: [1, 'x', null, true] } },
});

describe('keys', () => {
  it('carry the partition in their high bits, beyond what JS numbers hold exactly', () => {
    const key = encodeKey(4, 17n);
    expect(key).toBe((4n << 51n) + 17n);
    expect(key > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(partitionIdOf(key)).toBe(4);
    expect(localKeyOf(key)).toBe(17n);
  });

  it('parse from decimal strings and refuse what is not an int64', () => {
    expect(parseKey('9007199254740993')).toBe(9007199254740993n);
    expect(parseKey('12abc')).toBeUndefined();
    expect(parseKey('99999999999999999999')).toBeUndefined();
  });
});

describe('codecs', () => {
  it('round-trip values with bigints above 2^53, bytes and nesting', () => {
    const value = { big: 9007199254740993n, negative: -5, float: 0.25, text: 'héllo', bytes: new Uint8Array([1, 2, 3]), nested: { list: [null, false] } };
    expect(decodeValue(encodeValue(value))).toEqual({ ...value, bytes: Buffer.from([1, 2, 3]) });
  });

  it('round-trip a record batch and expose the first position without decoding', () => {
    const records = [record(41, encodeKey(4, 1n)), { ...record(42, encodeKey(4, 2n)), processedInBatch: true, requestId: 7, requestStreamId: 1 }];
    const payload = encodeRecordBatch(records);
    expect(decodeRecordBatch(payload)).toEqual(records);
    expect(peekFirstPosition(payload)).toBe(41);
  });

  it('refuse a truncated batch with a clear error', () => {
    const payload = encodeRecordBatch([record(1, 1n)]);
    expect(() => decodeRecordBatch(payload.subarray(0, payload.length - 3))).toThrow(/Truncated value/);
  });
});

describe('exported JSON', () => {
  it('has Zeebe\'s record shape, keys as bare numbers and no internal metadata', () => {
    const json = toExportedJson({ ...record(5, 9007199254740993n), requestId: 3 });
    expect(json).toContain('"key":9007199254740993');
    expect(json).not.toContain('requestId');
    const parsed = JSON.parse(json);
    expect(Object.keys(parsed)).toEqual(
      expect.arrayContaining(['partitionId', 'value', 'key', 'timestamp', 'recordType', 'valueType', 'intent', 'rejectionType', 'rejectionReason', 'brokerVersion', 'sourceRecordPosition', 'position']),
    );
    expect(parsed.value.customHeaders).toEqual({ a: 'b' });
  });
});
