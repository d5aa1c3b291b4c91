import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

/** The instance a creation with an idempotency key started, kept until the key expires. */
export interface StoredIdempotentCreation {
  processInstanceKey: bigint;
  processDefinitionKey: bigint;
  bpmnProcessId: string;
  version: number;
  /** The creation's command timestamp plus the window: a later command with the key starts a new instance. */
  expiresAtMs: number;
}

export interface ReadonlyIdempotencyState {
  /** The creation remembered for the key, expired or not (the caller compares expiresAtMs with its "now"). */
  getCreation(tenantId: string, idempotencyKey: string): StoredIdempotentCreation | undefined;
}

/**
 * Idempotency keys of process instance creations (a Kafka record replayed after a crash must not start a second
 * instance). Keys are indexed by expiry so that forgetting the expired ones visits only those.
 */
export class IdempotencyState implements ReadonlyIdempotencyState {
  private readonly creations: Column<[string, string], any>;
  private readonly expiries: Column<[number, string, string], boolean>;

  constructor(store: StateStore) {
    this.creations = store.column('creation-idempotency-key', 2);
    this.expiries = store.column('creation-idempotency-key-expiry', 3);
  }

  getCreation(tenantId: string, idempotencyKey: string): StoredIdempotentCreation | undefined {
    return this.creations.get(tenantId, idempotencyKey);
  }

  putCreation(tenantId: string, idempotencyKey: string, creation: StoredIdempotentCreation): void {
    const previous: StoredIdempotentCreation | undefined = this.creations.get(tenantId, idempotencyKey);
    if (previous !== undefined) this.expiries.delete(previous.expiresAtMs, tenantId, idempotencyKey);
    this.creations.put([tenantId, idempotencyKey], { ...creation });
    this.expiries.put([creation.expiresAtMs, tenantId, idempotencyKey], true);
  }

  /** Forgets at most countMax keys that expired at nowMs; returns how many it forgot. */
  removeExpired(nowMs: number, countMax: number): number {
    const expired: [number, string, string][] = [];
    this.expiries.forEachInRange([Number.MIN_SAFE_INTEGER], [nowMs + 1], (_flag, key) => {
      expired.push([key[0], key[1], key[2]]);
      return expired.length < countMax;
    });
    for (const [expiresAtMs, tenantId, idempotencyKey] of expired) {
      this.expiries.delete(expiresAtMs, tenantId, idempotencyKey);
      const stored: StoredIdempotentCreation | undefined = this.creations.get(tenantId, idempotencyKey);
      if (stored !== undefined && stored.expiresAtMs === expiresAtMs) this.creations.delete(tenantId, idempotencyKey);
    }
    return expired.length;
  }
}
