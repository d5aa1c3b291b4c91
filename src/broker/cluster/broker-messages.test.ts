import { describe, expect, it } from 'vitest';
import { BROKER_VERSION, type Record } from '../../protocol/index.js';
import { decodeBrokerMessage, encodeBrokerMessage, type BrokerMessage } from './broker-messages.js';

const record: Record = {
  partitionId: 4,
  position: 17,
  sourceRecordPosition: 16,
  key: (4n << 51n) + 9n,
  timestamp: 1_700_000_000_000,
  recordType: 'EVENT',
  valueType: 'PROCESS_INSTANCE_CREATION',
  intent: 'CREATED',
  rejectionType: 'NULL_VAL',
  rejectionReason: '',
  brokerVersion: BROKER_VERSION,
  value: { bpmnProcessId: 'order', processInstanceKey: (4n << 51n) + 9n, variables: { total: 42 } },
};

describe('broker messages', () => {
  it.each<BrokerMessage>([
    { type: 'command', requestId: 7, partitionId: 4, timeoutMs: 30_000, sentAtMs: 1_764_000_000_123, command: { valueType: 'JOB', intent: 'COMPLETE', key: (4n << 51n) + 3n, value: { variables: { ok: true } } } },
    { type: 'response', requestId: 7, record },
    { type: 'failure', requestId: 8, code: 'NOT_LEADER', message: 'Broker 2 does not lead partition 4' },
    { type: 'topology', announcement: { nodeId: 1, host: 'broker-1', port: 26500, version: BROKER_VERSION, partitions: [{ partitionId: 4, role: 'LEADER', term: 3, healthy: true }] } },
    { type: 'jobs-available', jobType: 'payment' },
    { type: 'stream-open', streamId: 3, request: { type: 'payment', worker: 'w1', timeoutMs: 5_000, fetchVariables: ['total'], tenantIds: ['<default>'] } },
    { type: 'stream-close', streamId: 3 },
  ])('round-trips a $type message', (message) => {
    expect(decodeBrokerMessage(encodeBrokerMessage(message))).toEqual(message);
  });

  it('refuses bytes of an unknown message type', () => {
    expect(() => decodeBrokerMessage(Buffer.of(99))).toThrow('Unknown broker message type 99');
  });
});
