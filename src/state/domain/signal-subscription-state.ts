import type { SignalSubscriptionRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export interface StoredSignalSubscription {
  key: bigint;
  value: SignalSubscriptionRecordValue;
}

export interface ReadonlySignalSubscriptionState {
  /** Subscriptions to a signal name, oldest first. */
  forEachSubscription(tenantId: string, signalName: string, visitor: (subscription: StoredSignalSubscription) => void): void;
  /** Subscriptions of an element instance (catch event, boundary events, event-based gateway). */
  forEachSubscriptionOfElement(elementInstanceKey: bigint, visitor: (subscription: StoredSignalSubscription) => void): void;
  /** Subscriptions of the signal start events of a process definition. */
  forEachStartSubscriptionOfProcess(processDefinitionKey: bigint, visitor: (subscription: StoredSignalSubscription) => void): void;
}

/** Signal subscriptions: by signal name, by waiting element instance, and by process definition (start events). */
export class SignalSubscriptionState implements ReadonlySignalSubscriptionState {
  private readonly subscriptions: Column<[bigint], any>;
  private readonly byName: Column<[string, string, bigint], boolean>;
  private readonly byElement: Column<[bigint, bigint], boolean>;
  private readonly byProcess: Column<[bigint, bigint], boolean>;

  constructor(store: StateStore) {
    this.subscriptions = store.column('signal-subscription', 1);
    this.byName = store.column('signal-subscription-by-name', 3);
    this.byElement = store.column('signal-subscription-of-element', 2);
    this.byProcess = store.column('signal-subscription-start-of-process', 2);
  }

  forEachSubscription(tenantId: string, signalName: string, visitor: (subscription: StoredSignalSubscription) => void): void {
    this.visit(this.byName, [tenantId, signalName], 2, visitor);
  }

  forEachSubscriptionOfElement(elementInstanceKey: bigint, visitor: (subscription: StoredSignalSubscription) => void): void {
    this.visit(this.byElement, [elementInstanceKey], 1, visitor);
  }

  forEachStartSubscriptionOfProcess(processDefinitionKey: bigint, visitor: (subscription: StoredSignalSubscription) => void): void {
    this.visit(this.byProcess, [processDefinitionKey], 1, visitor);
  }

  putSubscription(key: bigint, value: SignalSubscriptionRecordValue): void {
    this.subscriptions.put([key], { key, value } as any);
    this.byName.put([value.tenantId, value.signalName, key], true);
    if (value.catchEventInstanceKey >= 0n) this.byElement.put([value.catchEventInstanceKey, key], true);
    else this.byProcess.put([value.processDefinitionKey, key], true);
  }

  removeSubscription(key: bigint): void {
    const stored: StoredSignalSubscription | undefined = this.subscriptions.get(key);
    if (!stored) return;
    const value = stored.value;
    this.subscriptions.delete(key);
    this.byName.delete(value.tenantId, value.signalName, key);
    if (this.byElement.has(value.catchEventInstanceKey, key)) this.byElement.delete(value.catchEventInstanceKey, key);
    if (this.byProcess.has(value.processDefinitionKey, key)) this.byProcess.delete(value.processDefinitionKey, key);
  }

  private visit(
    column: Column<any, boolean>,
    prefix: (string | bigint)[],
    keyIndex: number,
    visitor: (subscription: StoredSignalSubscription) => void,
  ): void {
    const keys: bigint[] = [];
    column.forEachWithPrefix(prefix, (_flag: boolean, key: any[]) => {
      keys.push(key[keyIndex] as bigint);
    });
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const stored: StoredSignalSubscription | undefined = this.subscriptions.get(key);
      if (stored) visitor(stored);
    }
  }
}
