import {
  partitionIdOf,
  type MessageRecordValue,
  type MessageStartEventSubscriptionRecordValue,
  type ProcessMessageSubscriptionRecordValue,
} from '../../protocol/index.js';
import type { ReadonlyEngineState, StoredMessageSubscription } from '../../state/domain/index.js';
import type { Writers } from '../writers.js';
import type { CommandSender } from './command-sender.js';
import type { EventTriggerBehavior } from './event-trigger-behavior.js';

/**
 * Correlates messages on the partition of their correlation key: to waiting message subscriptions (at most one
 * per process, as Zeebe does: a message correlates once per bpmnProcessId) and to message start events (at most
 * one active instance per correlation key).
 */
export class MessageCorrelationBehavior {
  constructor(
    private readonly partitionId: number,
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
    private readonly commands: CommandSender,
    private readonly eventTriggers: EventTriggerBehavior,
  ) {}

  /** Correlates a message just published; returns the processes it correlated to. */
  correlatePublished(messageKey: bigint, message: MessageRecordValue): void {
    const correlated = new Set<string>();
    this.state.subscriptions.forEachMessageSubscription(message.tenantId, message.name, message.correlationKey, (subscription) => {
      const processId = subscription.value.bpmnProcessId;
      if (subscription.correlating || correlated.has(processId)) return;
      correlated.add(processId);
      this.correlateSubscription(subscription, messageKey, message);
    });
    this.state.subscriptions.forEachMessageStartSubscription(message.tenantId, message.name, (subscription) => {
      if (correlated.has(subscription.bpmnProcessId)) return;
      if (this.correlateStartEvent(subscription, messageKey, message)) correlated.add(subscription.bpmnProcessId);
    });
  }

  /** A new subscription: correlates the oldest buffered message it can take, if any. */
  correlateBuffered(subscription: StoredMessageSubscription, nowMs: number): void {
    const value = subscription.value;
    this.state.messages.forEachMessage(value.tenantId, value.messageName, value.correlationKey, (message) => {
      if (message.value.deadline <= nowMs || this.state.messages.isCorrelatedToProcess(message.key, value.bpmnProcessId)) return true;
      this.correlateSubscription(subscription, message.key, message.value);
      return false;
    });
  }

  /**
   * An instance started by a message with a correlation key ended: the next buffered message with that key (not
   * yet correlated to the process) starts the next instance, as in Zeebe.
   */
  correlateNextBufferedStart(
    started: { correlationKey: string; tenantId: string } | undefined,
    processDefinitionKey: bigint,
    nowMs: number,
  ): void {
    if (!started) return;
    this.state.subscriptions.forEachMessageStartSubscriptionOfProcess(processDefinitionKey, (subscription) => {
      this.state.messages.forEachMessage(started.tenantId, subscription.messageName, started.correlationKey, (message) => {
        if (message.value.deadline <= nowMs || this.state.messages.isCorrelatedToProcess(message.key, subscription.bpmnProcessId)) return true;
        this.correlateStartEvent(subscription, message.key, message.value);
        return false;
      });
    });
  }

  private correlateSubscription(subscription: StoredMessageSubscription, messageKey: bigint, message: MessageRecordValue): void {
    const correlating = { ...subscription.value, messageKey, variables: message.variables };
    this.writers.appendEvent(subscription.key, 'MESSAGE_SUBSCRIPTION', 'CORRELATING', correlating);
    const command: ProcessMessageSubscriptionRecordValue = {
      subscriptionPartitionId: this.partitionId,
      processInstanceKey: correlating.processInstanceKey,
      elementInstanceKey: correlating.elementInstanceKey,
      bpmnProcessId: correlating.bpmnProcessId,
      messageName: correlating.messageName,
      correlationKey: correlating.correlationKey,
      messageKey,
      variables: message.variables,
      interrupting: correlating.interrupting,
      elementId: '',
      tenantId: correlating.tenantId,
    };
    this.commands.send(partitionIdOf(correlating.processInstanceKey), 'PROCESS_MESSAGE_SUBSCRIPTION', 'CORRELATE', -1n, command);
  }

  private correlateStartEvent(subscription: MessageStartEventSubscriptionRecordValue, messageKey: bigint, message: MessageRecordValue): boolean {
    const messages = this.state.messages;
    if (messages.isCorrelatedToProcess(messageKey, subscription.bpmnProcessId)) return false;
    if (message.correlationKey !== '' && messages.getActiveInstanceOfCorrelationKey(message.tenantId, subscription.bpmnProcessId, message.correlationKey) !== undefined) {
      return false;
    }
    const process = this.state.processes.getProcessByKey(subscription.processDefinitionKey);
    if (!process) return false;
    const processInstanceKey = this.state.keys.nextKey();
    const correlated: MessageStartEventSubscriptionRecordValue = {
      ...subscription,
      messageKey,
      correlationKey: message.correlationKey,
      variables: message.variables,
      processInstanceKey,
    };
    this.writers.appendEvent(subscription.processDefinitionKey, 'MESSAGE_START_EVENT_SUBSCRIPTION', 'CORRELATED', correlated);
    this.eventTriggers.startInstance(process, subscription.startEventId, message.variables, processInstanceKey);
    return true;
  }
}
