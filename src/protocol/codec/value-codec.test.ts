import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Record } from '../record.js';
import { decodeRecordBatch, encodeRecordBatch } from './record-codec.js';
import { ByteReader, ByteWriter, decodeValue, encodeValue } from './value-codec.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/v1/${name}`, import.meta.url));

const key = (1n << 51n) + 17n;
/** The records in fixtures/v1/record-batch.bin, written by the codec before its fast paths existed. */
const fixtureRecords: Record[] = [
  {
    partitionId: 1, position: 41, sourceRecordPosition: 40, key, timestamp: 1764000000123, recordType: 'EVENT', valueType: 'JOB', intent: 'CREATED',
    rejectionType: 'NULL_VAL', rejectionReason: '', brokerVersion: '8.8.0',
    value: {
      type: 'pay', worker: '', retries: 3, deadline: -1, customHeaders: { région: 'Zürich €' },
      variables: { n: 1.5, negative: -7, big: -9007199254740993n, list: [1, 'x', null, true, false], long: 'x'.repeat(100) },
      processInstanceKey: key + 1n, tenantId: '<default>',
    } as unknown as Record['value'],
  },
  {
    partitionId: 1, position: 42, sourceRecordPosition: 41, key: -1n, timestamp: 1764000000124, recordType: 'COMMAND_REJECTION',
    valueType: 'PROCESS_INSTANCE_CREATION', intent: 'CREATE', rejectionType: 'NOT_FOUND',
    rejectionReason: "Expected to find process definition with process ID 'missing', but none found", brokerVersion: '8.8.0',
    processedInBatch: true, requestId: 7, requestStreamId: 1,
    value: { bpmnProcessId: 'missing', version: -1, processDefinitionKey: -1n, variables: {}, fetchVariables: [], startInstructions: [], tenantId: '<default>' } as unknown as Record['value'],
  },
];
/** The value in fixtures/v1/state-value.bin. */
const fixtureStateValue = { key, state: 'ACTIVATED', value: { elementId: 'task', bytes: new Uint8Array([0, 1, 255]), float: 0.1, negativeZero: -0 }, childCount: 0, jobKey: -1n };

describe('value codec, format version 1', () => {
  it('given a record batch written by an earlier build, when decoded, then every record comes back', () => {
    expect(decodeRecordBatch(fixture('record-batch.bin'))).toEqual(fixtureRecords);
  });

  it('given the same records, when encoded, then the bytes are exactly those of the earlier build', () => {
    expect(encodeRecordBatch(fixtureRecords).equals(fixture('record-batch.bin'))).toBe(true);
  });

  it('given a state value written by an earlier build, when decoded and encoded again, then it round-trips byte for byte', () => {
    const decoded = decodeValue(fixture('state-value.bin'));
    expect(decoded).toEqual({ ...fixtureStateValue, value: { ...fixtureStateValue.value, bytes: Buffer.from([0, 1, 255]) } });
    expect(Object.is((decoded as { value: { negativeZero: number } }).value.negativeZero, -0)).toBe(true);
    expect(encodeValue(fixtureStateValue).equals(fixture('state-value.bin'))).toBe(true);
  });
});

describe('value codec fast paths', () => {
  it('write strings of every kind as Buffer writes UTF-8, whatever their length', () => {
    const samples = ['', 'a', 'ascii-only', 'é', 'Zürich', '€uro', '😀 emoji', 'x'.repeat(64), 'x'.repeat(65), `${'y'.repeat(63)}é`, 'z'.repeat(5000)];
    for (const sample of samples) {
      const writer = new ByteWriter(4);
      writer.string(sample);
      writer.fieldName(sample);
      const utf8 = Buffer.from(sample, 'utf8');
      const expected = Buffer.alloc(4 + utf8.length);
      expected.writeUInt32LE(utf8.length, 0);
      utf8.copy(expected, 4);
      expect(writer.toBuffer()).toEqual(Buffer.concat([expected, expected]));
      const reader = new ByteReader(writer.toBuffer());
      expect([reader.string(), reader.string()]).toEqual([sample, sample]);
    }
  });

  it('decode many distinct short strings and field names correctly although the intern table is bounded', () => {
    const value: { [field: string]: string } = {};
    for (let i = 0; i < 20_000; i++) value[`field-${i}`] = `value-${i % 7000}`;
    expect(decodeValue(encodeValue(value))).toEqual(value);
    expect(decodeValue(encodeValue(value))).toEqual(value);
  });

  it('round-trip int64 at both ends of its range and refuse values beyond it', () => {
    const values = [-(1n << 63n), (1n << 63n) - 1n, -1n, 0n, 1n << 62n];
    expect(decodeValue(encodeValue(values))).toEqual(values);
    expect(() => encodeValue(1n << 63n)).toThrow(RangeError);
    expect(() => encodeValue(-(1n << 63n) - 1n)).toThrow(RangeError);
  });

  it('return copies that later writes through the same writer do not change', () => {
    const writer = new ByteWriter(8);
    writer.string('first');
    const first = writer.toBuffer();
    writer.offset = 0;
    writer.string('other');
    expect(new ByteReader(first).string()).toBe('first');
  });
});
