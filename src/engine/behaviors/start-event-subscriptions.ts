import { evaluateString, type ExecutableFlowNode, type ExecutableProcess } from '../../bpmn/index.js';
import type { MessageStartEventSubscriptionRecordValue, ProcessRecordValue } from '../../protocol/index.js';
import type { ReadonlySubscriptionState } from '../../state/domain/index.js';
import type { ProcessingContext } from '../context.js';
import { scheduleTimer } from './event-subscription-behavior.js';

/**
 * The start events of a process's latest version are the open ones: deploying a new version closes those of the
 * previous one and opens its own; deleting the latest version closes its own and opens those of the version that
 * becomes the latest again. Timer and signal start events live on the deployment partition (so that one timer or
 * one broadcast starts one instance); message start events on every partition, since a message is published on
 * the partition its correlation key hashes to.
 */

/** Cancels the start timers and deletes the message and signal start subscriptions of a process version. */
export function closeStartEventSubscriptions(processDefinitionKey: bigint, context: ProcessingContext): void {
  const { state, writers } = context;
  state.timers.forEachStartTimerOfProcess(processDefinitionKey, (timer) => writers.appendEvent(timer.key, 'TIMER', 'CANCELED', timer.value));
  state.subscriptions.forEachMessageStartSubscriptionOfProcess(processDefinitionKey, (subscription) => {
    writers.appendEvent(processDefinitionKey, 'MESSAGE_START_EVENT_SUBSCRIPTION', 'DELETED', subscription);
  });
  state.signalSubscriptions.forEachStartSubscriptionOfProcess(processDefinitionKey, (subscription) => {
    writers.appendEvent(subscription.key, 'SIGNAL_SUBSCRIPTION', 'DELETED', subscription.value);
  });
}

/**
 * Schedules the start timers and opens the message and signal start subscriptions of a process version; only the
 * message ones with messagesOnly (on a partition that is not the deployment partition).
 */
export function openStartEventSubscriptions(
  process: ExecutableProcess,
  stored: ProcessRecordValue,
  nowMs: number,
  context: ProcessingContext,
  options: { messagesOnly?: boolean } = {},
): void {
  const { writers, behaviors } = context;
  for (const start of process.eventStartEvents) {
    const subscription = messageStartSubscriptionOf(start, stored);
    if (subscription) writers.appendEvent(stored.processDefinitionKey, 'MESSAGE_START_EVENT_SUBSCRIPTION', 'CREATED', subscription);
    if (options.messagesOnly) continue;
    if (start.timer) {
      const schedule = scheduleTimer(start.timer, () => undefined, nowMs);
      if (schedule.ok) behaviors.eventSubscriptions.createTimer(-1n, { ...stored, processInstanceKey: -1n }, start.id, schedule.value);
    }
    if (start.signal) {
      const signalName = evaluateString(start.signal.name, () => undefined);
      if (signalName.ok) behaviors.eventSubscriptions.openSignalSubscription(-1n, stored, start.id, signalName.value);
    }
  }
}

/**
 * The message start subscriptions a process version has while it is the latest: one per message start event whose
 * name evaluates (start events see no variables).
 */
export function messageStartSubscriptionsOf(process: ExecutableProcess, stored: ProcessRecordValue): MessageStartEventSubscriptionRecordValue[] {
  return process.eventStartEvents.flatMap((start) => messageStartSubscriptionOf(start, stored) ?? []);
}

function messageStartSubscriptionOf(start: ExecutableFlowNode, stored: ProcessRecordValue): MessageStartEventSubscriptionRecordValue | undefined {
  if (!start.message) return undefined;
  const name = evaluateString(start.message.name, () => undefined);
  if (!name.ok) return undefined;
  return {
    processDefinitionKey: stored.processDefinitionKey,
    bpmnProcessId: stored.bpmnProcessId,
    startEventId: start.id,
    messageName: name.value,
    messageKey: -1n,
    correlationKey: '',
    variables: {},
    processInstanceKey: -1n,
    tenantId: stored.tenantId,
  };
}

/** Whether a process version has any message start subscription on this partition. */
export function hasMessageStartSubscription(subscriptions: ReadonlySubscriptionState, processDefinitionKey: bigint): boolean {
  let found = false;
  subscriptions.forEachMessageStartSubscriptionOfProcess(processDefinitionKey, () => {
    found = true;
  });
  return found;
}
