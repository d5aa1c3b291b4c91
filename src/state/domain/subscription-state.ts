import type {
  MessageStartEventSubscriptionRecordValue,
  MessageSubscriptionRecordValue,
  ProcessMessageSubscriptionRecordValue,
} from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

/** A subscription on the message partition: a catch event waiting for a message name and correlation key. */
export interface StoredMessageSubscription {
  key: bigint;
  value: MessageSubscriptionRecordValue;
  /** A message is on its way to the process instance; no other message correlates until it is confirmed. */
  correlating: boolean;
}

/** The process instance's side of a message subscription. */
export interface StoredProcessMessageSubscription {
  key: bigint;
  state: 'CREATING' | 'CREATED';
  value: ProcessMessageSubscriptionRecordValue;
}

export interface ReadonlySubscriptionState {
  getMessageSubscription(elementInstanceKey: bigint, messageName: string): StoredMessageSubscription | undefined;
  /** Message subscriptions waiting for a name and correlation key, oldest first. */
  forEachMessageSubscription(
    tenantId: string,
    messageName: string,
    correlationKey: string,
    visitor: (subscription: StoredMessageSubscription) => boolean | void,
  ): void;
  getProcessMessageSubscription(elementInstanceKey: bigint, messageName: string): StoredProcessMessageSubscription | undefined;
  forEachProcessMessageSubscription(elementInstanceKey: bigint, visitor: (subscription: StoredProcessMessageSubscription) => void): void;
  /** Message start event subscriptions of a message name (one per process definition). */
  forEachMessageStartSubscription(
    tenantId: string,
    messageName: string,
    visitor: (subscription: MessageStartEventSubscriptionRecordValue) => boolean | void,
  ): void;
  forEachMessageStartSubscriptionOfProcess(
    processDefinitionKey: bigint,
    visitor: (subscription: MessageStartEventSubscriptionRecordValue) => void,
  ): void;
}

/** Message subscriptions of both sides, and message start event subscriptions. */
export class SubscriptionState implements ReadonlySubscriptionState {
  private readonly messageSubscriptions: Column<[bigint, string], any>;
  private readonly byCorrelationKey: Column<[string, string, string, bigint, bigint], boolean>;
  private readonly processSubscriptions: Column<[bigint, string], any>;
  private readonly startSubscriptions: Column<[string, string, bigint], any>;
  private readonly startSubscriptionsOfProcess: Column<[bigint, string], any>;

  constructor(store: StateStore) {
    this.messageSubscriptions = store.column('message-subscription', 2);
    this.byCorrelationKey = store.column('message-subscription-by-correlation-key', 5);
    this.processSubscriptions = store.column('process-message-subscription', 2);
    this.startSubscriptions = store.column('message-start-subscription', 3);
    this.startSubscriptionsOfProcess = store.column('message-start-subscription-of-process', 2);
  }

  getMessageSubscription(elementInstanceKey: bigint, messageName: string): StoredMessageSubscription | undefined {
    return this.messageSubscriptions.get(elementInstanceKey, messageName);
  }

  forEachMessageSubscription(
    tenantId: string,
    messageName: string,
    correlationKey: string,
    visitor: (subscription: StoredMessageSubscription) => boolean | void,
  ): void {
    const found: [bigint, bigint][] = [];
    this.byCorrelationKey.forEachWithPrefix([tenantId, messageName, correlationKey], (_flag, key) => {
      found.push([key[3], key[4]]);
    });
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, elementInstanceKey] of found) {
      const subscription = this.getMessageSubscription(elementInstanceKey, messageName);
      if (subscription && visitor(subscription) === false) return;
    }
  }

  getProcessMessageSubscription(elementInstanceKey: bigint, messageName: string): StoredProcessMessageSubscription | undefined {
    return this.processSubscriptions.get(elementInstanceKey, messageName);
  }

  forEachProcessMessageSubscription(elementInstanceKey: bigint, visitor: (subscription: StoredProcessMessageSubscription) => void): void {
    const found: StoredProcessMessageSubscription[] = [];
    this.processSubscriptions.forEachWithPrefix([elementInstanceKey], (subscription) => {
      found.push(subscription);
    });
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const subscription of found) visitor(subscription);
  }

  forEachMessageStartSubscription(
    tenantId: string,
    messageName: string,
    visitor: (subscription: MessageStartEventSubscriptionRecordValue) => boolean | void,
  ): void {
    const found: MessageStartEventSubscriptionRecordValue[] = [];
    this.startSubscriptions.forEachWithPrefix([tenantId, messageName], (subscription) => {
      found.push(subscription);
    });
    found.sort((a, b) => a.bpmnProcessId.localeCompare(b.bpmnProcessId));
    for (const subscription of found) if (visitor(subscription) === false) return;
  }

  forEachMessageStartSubscriptionOfProcess(
    processDefinitionKey: bigint,
    visitor: (subscription: MessageStartEventSubscriptionRecordValue) => void,
  ): void {
    const found: MessageStartEventSubscriptionRecordValue[] = [];
    this.startSubscriptionsOfProcess.forEachWithPrefix([processDefinitionKey], (subscription) => {
      found.push(subscription);
    });
    found.sort((a, b) => a.startEventId.localeCompare(b.startEventId));
    for (const subscription of found) visitor(subscription);
  }

  putMessageSubscription(key: bigint, value: MessageSubscriptionRecordValue, correlating: boolean): void {
    this.messageSubscriptions.put([value.elementInstanceKey, value.messageName], { key, value, correlating } as any);
    this.byCorrelationKey.put([value.tenantId, value.messageName, value.correlationKey, key, value.elementInstanceKey], true);
  }

  removeMessageSubscription(elementInstanceKey: bigint, messageName: string): void {
    const subscription = this.getMessageSubscription(elementInstanceKey, messageName);
    if (!subscription) return;
    const value = subscription.value;
    this.messageSubscriptions.delete(elementInstanceKey, messageName);
    this.byCorrelationKey.delete(value.tenantId, value.messageName, value.correlationKey, subscription.key, elementInstanceKey);
  }

  putProcessMessageSubscription(key: bigint, state: StoredProcessMessageSubscription['state'], value: ProcessMessageSubscriptionRecordValue): void {
    this.processSubscriptions.put([value.elementInstanceKey, value.messageName], { key, state, value } as any);
  }

  removeProcessMessageSubscription(elementInstanceKey: bigint, messageName: string): void {
    if (this.processSubscriptions.has(elementInstanceKey, messageName)) this.processSubscriptions.delete(elementInstanceKey, messageName);
  }

  putMessageStartSubscription(value: MessageStartEventSubscriptionRecordValue): void {
    this.startSubscriptions.put([value.tenantId, value.messageName, value.processDefinitionKey], value as any);
    this.startSubscriptionsOfProcess.put([value.processDefinitionKey, value.startEventId], value as any);
  }

  removeMessageStartSubscription(value: MessageStartEventSubscriptionRecordValue): void {
    if (this.startSubscriptions.has(value.tenantId, value.messageName, value.processDefinitionKey)) {
      this.startSubscriptions.delete(value.tenantId, value.messageName, value.processDefinitionKey);
    }
    if (this.startSubscriptionsOfProcess.has(value.processDefinitionKey, value.startEventId)) {
      this.startSubscriptionsOfProcess.delete(value.processDefinitionKey, value.startEventId);
    }
  }
}
