import type { MessageRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';
import { bucketOf, visitDue } from './time-buckets.js';

export interface StoredMessage {
  key: bigint;
  value: MessageRecordValue;
}

export interface ReadonlyMessageState {
  getMessage(messageKey: bigint): StoredMessage | undefined;
  /** Whether a message with this id lives (is buffered) for the name and correlation key, as in Zeebe. */
  existsMessageId(tenantId: string, name: string, correlationKey: string, messageId: string): boolean;
  /** Buffered messages of a name and correlation key, oldest first. */
  forEachMessage(tenantId: string, name: string, correlationKey: string, visitor: (message: StoredMessage) => boolean | void): void;
  /** Whether the message has correlated to (an instance of) the process already; a message correlates once per process. */
  isCorrelatedToProcess(messageKey: bigint, bpmnProcessId: string): boolean;
  /** The active instance of a process started by a message with this correlation key, if any. */
  getActiveInstanceOfCorrelationKey(tenantId: string, bpmnProcessId: string, correlationKey: string): bigint | undefined;
  /** The correlation key a process instance was started with by a message start event. */
  getCorrelationKeyOfInstance(processInstanceKey: bigint): { bpmnProcessId: string; correlationKey: string; tenantId: string } | undefined;
  /** Messages whose time to live has ended at untilMs. */
  forEachExpiredUntil(untilMs: number, visitor: (messageKey: bigint, deadlineMs: number) => boolean | void): void;
}

/** Buffered messages (published with a time to live), their ids, and what they correlated to. */
export class MessageState implements ReadonlyMessageState {
  private readonly messages: Column<[bigint], any>;
  private readonly byCorrelationKey: Column<[string, string, string, bigint], boolean>;
  private readonly deadlines: Column<[number, bigint], number>;
  private readonly correlated: Column<[bigint, string], boolean>;
  private readonly activeByCorrelationKey: Column<[string, string, string], bigint>;
  private readonly correlationKeyOfInstance: Column<[bigint], any>;

  constructor(store: StateStore) {
    this.messages = store.column('message', 1);
    this.byCorrelationKey = store.column('message-by-correlation-key', 4);
    this.deadlines = store.column('message-deadline', 2);
    this.correlated = store.column('message-correlated', 2);
    this.activeByCorrelationKey = store.column('message-start-active-instance', 3);
    this.correlationKeyOfInstance = store.column('message-start-instance-correlation-key', 1);
  }

  getMessage(messageKey: bigint): StoredMessage | undefined {
    return this.messages.get(messageKey);
  }

  existsMessageId(tenantId: string, name: string, correlationKey: string, messageId: string): boolean {
    if (messageId === '') return false;
    // The buffered messages of one name and correlation key are few; their ids need no index of their own.
    let exists = false;
    this.forEachMessage(tenantId, name, correlationKey, (message) => {
      exists = message.value.messageId === messageId;
      return !exists;
    });
    return exists;
  }

  forEachMessage(tenantId: string, name: string, correlationKey: string, visitor: (message: StoredMessage) => boolean | void): void {
    const keys: bigint[] = [];
    this.byCorrelationKey.forEachWithPrefix([tenantId, name, correlationKey], (_flag, key) => {
      keys.push(key[3]);
    });
    // Keys grow with publication; sorting gives the same order in memory and after a restart.
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const message = this.getMessage(key);
      if (message && visitor(message) === false) return;
    }
  }

  isCorrelatedToProcess(messageKey: bigint, bpmnProcessId: string): boolean {
    return this.correlated.has(messageKey, bpmnProcessId);
  }

  getActiveInstanceOfCorrelationKey(tenantId: string, bpmnProcessId: string, correlationKey: string): bigint | undefined {
    return this.activeByCorrelationKey.get(tenantId, bpmnProcessId, correlationKey);
  }

  getCorrelationKeyOfInstance(processInstanceKey: bigint): { bpmnProcessId: string; correlationKey: string; tenantId: string } | undefined {
    return this.correlationKeyOfInstance.get(processInstanceKey);
  }

  forEachExpiredUntil(untilMs: number, visitor: (messageKey: bigint, deadlineMs: number) => boolean | void): void {
    visitDue(this.deadlines, untilMs, visitor);
  }

  putMessage(messageKey: bigint, value: MessageRecordValue): void {
    this.messages.put([messageKey], { key: messageKey, value } as any);
    this.byCorrelationKey.put([value.tenantId, value.name, value.correlationKey, messageKey], true);
    this.deadlines.put([bucketOf(value.deadline), messageKey], value.deadline);
  }

  removeMessage(messageKey: bigint): void {
    const message = this.getMessage(messageKey);
    if (!message) return;
    const value = message.value;
    this.messages.delete(messageKey);
    this.byCorrelationKey.delete(value.tenantId, value.name, value.correlationKey, messageKey);
    if (this.deadlines.has(bucketOf(value.deadline), messageKey)) this.deadlines.delete(bucketOf(value.deadline), messageKey);
    const processIds: string[] = [];
    this.correlated.forEachWithPrefix([messageKey], (_flag, key) => {
      processIds.push(key[1]);
    });
    for (const processId of processIds) this.correlated.delete(messageKey, processId);
  }

  markCorrelatedToProcess(messageKey: bigint, bpmnProcessId: string): void {
    // Only a buffered message needs to remember it; one that was never buffered cannot correlate again.
    if (this.getMessage(messageKey)) this.correlated.put([messageKey, bpmnProcessId], true);
  }

  putActiveInstance(tenantId: string, bpmnProcessId: string, correlationKey: string, processInstanceKey: bigint): void {
    this.activeByCorrelationKey.put([tenantId, bpmnProcessId, correlationKey], processInstanceKey);
    this.correlationKeyOfInstance.put([processInstanceKey], { bpmnProcessId, correlationKey, tenantId } as any);
  }

  removeActiveInstance(processInstanceKey: bigint): void {
    const entry = this.getCorrelationKeyOfInstance(processInstanceKey);
    if (!entry) return;
    this.correlationKeyOfInstance.delete(processInstanceKey);
    if (this.activeByCorrelationKey.get(entry.tenantId, entry.bpmnProcessId, entry.correlationKey) === processInstanceKey) {
      this.activeByCorrelationKey.delete(entry.tenantId, entry.bpmnProcessId, entry.correlationKey);
    }
  }
}
