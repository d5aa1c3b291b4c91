import type { CompensationSubscriptionRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export interface StoredCompensationSubscription {
  key: bigint;
  value: CompensationSubscriptionRecordValue;
}

export interface ReadonlyCompensationSubscriptionState {
  /** The compensation subscriptions of a process instance, oldest (first completed activity) first. */
  forEachSubscription(processInstanceKey: bigint, visitor: (subscription: StoredCompensationSubscription) => void): void;
}

/** Completed activities that can still be compensated, by process instance. */
export class CompensationSubscriptionState implements ReadonlyCompensationSubscriptionState {
  private readonly subscriptions: Column<[bigint, bigint], any>;

  constructor(store: StateStore) {
    this.subscriptions = store.column('compensation-subscription', 2);
  }

  forEachSubscription(processInstanceKey: bigint, visitor: (subscription: StoredCompensationSubscription) => void): void {
    const found: StoredCompensationSubscription[] = [];
    this.subscriptions.forEachWithPrefix([processInstanceKey], (stored: StoredCompensationSubscription) => {
      found.push(stored);
    });
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const subscription of found) visitor(subscription);
  }

  putSubscription(key: bigint, value: CompensationSubscriptionRecordValue): void {
    this.subscriptions.put([value.processInstanceKey, key], { key, value } as any);
  }

  removeSubscription(processInstanceKey: bigint, key: bigint): void {
    if (this.subscriptions.has(processInstanceKey, key)) this.subscriptions.delete(processInstanceKey, key);
  }

  removeSubscriptionsOf(processInstanceKey: bigint): void {
    const keys: bigint[] = [];
    this.subscriptions.forEachWithPrefix([processInstanceKey], (stored: StoredCompensationSubscription) => {
      keys.push(stored.key);
    });
    for (const key of keys) this.subscriptions.delete(processInstanceKey, key);
  }
}
