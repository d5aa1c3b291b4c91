import type { ProcessInstanceCreationRecordValue, Record } from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';

type Applier = (record: Record) => void;

/**
 * Bound on the expired idempotency keys one CREATED event forgets, so that no single command pays for a long quiet
 * spell; the keys left over go with the next creations.
 */
export const EXPIRED_IDEMPOTENCY_KEYS_PER_CREATION_MAX = 100;

/**
 * PROCESS_INSTANCE_CREATION CREATED: remembers the instance under the creation's idempotency key until the expiry
 * the event carries, and forgets keys that expired by the event's timestamp. Both times come from the record, so
 * a replay rebuilds exactly the same keys whatever window the broker runs with now.
 */
export function creationAppliers(state: EngineState): [string, Applier][] {
  return [
    ['PROCESS_INSTANCE_CREATION.CREATED', (record) => {
      const value = record.value as unknown as ProcessInstanceCreationRecordValue;
      state.idempotency.removeExpired(record.timestamp, EXPIRED_IDEMPOTENCY_KEYS_PER_CREATION_MAX);
      if (value.idempotencyKey === undefined || value.idempotencyKey === '' || value.idempotencyKeyExpiresAtMs === undefined) return;
      state.idempotency.putCreation(value.tenantId, value.idempotencyKey, {
        processInstanceKey: value.processInstanceKey,
        processDefinitionKey: value.processDefinitionKey,
        bpmnProcessId: value.bpmnProcessId,
        version: value.version,
        expiresAtMs: value.idempotencyKeyExpiresAtMs,
      });
    }],
  ];
}
