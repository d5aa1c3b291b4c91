import type { ProcessEventRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export interface StoredEventTrigger {
  /** The key of the PROCESS_EVENT TRIGGERING record. */
  key: bigint;
  value: ProcessEventRecordValue;
}

export interface ReadonlyEventTriggerState {
  /** The event triggered for a scope (an element instance, or the key an element instance is about to get). */
  getTrigger(scopeKey: bigint): StoredEventTrigger | undefined;
}

/**
 * Events that were triggered and wait for their scope to act: an interrupted activity that has to terminate first,
 * a catch event that completes with the message's variables. At most one per scope, as in Zeebe for interrupting
 * events; the first one wins.
 */
export class EventTriggerState implements ReadonlyEventTriggerState {
  private readonly triggers: Column<[bigint], any>;

  constructor(store: StateStore) {
    this.triggers = store.column('event-trigger', 1);
  }

  getTrigger(scopeKey: bigint): StoredEventTrigger | undefined {
    return this.triggers.get(scopeKey);
  }

  putTrigger(key: bigint, value: ProcessEventRecordValue): void {
    this.triggers.put([value.scopeKey], { key, value } as any);
  }

  removeTrigger(scopeKey: bigint): void {
    if (this.triggers.has(scopeKey)) this.triggers.delete(scopeKey);
  }
}
