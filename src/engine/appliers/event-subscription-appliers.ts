import type {
  MessageRecordValue,
  MessageStartEventSubscriptionRecordValue,
  MessageSubscriptionRecordValue,
  ProcessEventRecordValue,
  ProcessMessageSubscriptionRecordValue,
  Record,
  TimerRecordValue,
} from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';

type Applier = (record: Record) => void;
const nothing: Applier = () => {};

function valueOf<V>(record: Record): V {
  return record.value as unknown as V;
}

/** MESSAGE events: a message with a time to live is buffered until it expires. */
export function messageAppliers(state: EngineState): [string, Applier][] {
  return [
    ['MESSAGE.PUBLISHED', (record) => {
      const message = valueOf<MessageRecordValue>(record);
      if (message.timeToLive > 0) state.messages.putMessage(record.key, message);
    }],
    ['MESSAGE.EXPIRED', (record) => state.messages.removeMessage(record.key)],
  ];
}

/** MESSAGE_SUBSCRIPTION events (the message partition's side of a subscription). */
export function messageSubscriptionAppliers(state: EngineState): [string, Applier][] {
  const subscriptions = state.subscriptions;
  return [
    ['MESSAGE_SUBSCRIPTION.CREATED', (record) => subscriptions.putMessageSubscription(record.key, valueOf(record), false)],
    ['MESSAGE_SUBSCRIPTION.CORRELATING', (record) => {
      const value = valueOf<MessageSubscriptionRecordValue>(record);
      subscriptions.putMessageSubscription(record.key, value, true);
      state.messages.markCorrelatedToProcess(value.messageKey, value.bpmnProcessId);
    }],
    ['MESSAGE_SUBSCRIPTION.CORRELATED', (record) => {
      const value = valueOf<MessageSubscriptionRecordValue>(record);
      if (value.interrupting) subscriptions.removeMessageSubscription(value.elementInstanceKey, value.messageName);
      else subscriptions.putMessageSubscription(record.key, value, false);
    }],
    ['MESSAGE_SUBSCRIPTION.REJECTED', (record) => {
      const value = valueOf<MessageSubscriptionRecordValue>(record);
      const stored = subscriptions.getMessageSubscription(value.elementInstanceKey, value.messageName);
      if (stored) subscriptions.putMessageSubscription(stored.key, stored.value, false);
    }],
    ['MESSAGE_SUBSCRIPTION.DELETED', (record) => {
      const value = valueOf<MessageSubscriptionRecordValue>(record);
      subscriptions.removeMessageSubscription(value.elementInstanceKey, value.messageName);
    }],
  ];
}

/** PROCESS_MESSAGE_SUBSCRIPTION events (the process instance's side of a subscription). */
export function processMessageSubscriptionAppliers(state: EngineState): [string, Applier][] {
  const subscriptions = state.subscriptions;
  return [
    ['PROCESS_MESSAGE_SUBSCRIPTION.CREATING', (record) => subscriptions.putProcessMessageSubscription(record.key, 'CREATING', valueOf(record))],
    ['PROCESS_MESSAGE_SUBSCRIPTION.CREATED', (record) => {
      const value = valueOf<ProcessMessageSubscriptionRecordValue>(record);
      const stored = subscriptions.getProcessMessageSubscription(value.elementInstanceKey, value.messageName);
      if (stored) subscriptions.putProcessMessageSubscription(stored.key, 'CREATED', stored.value);
    }],
    ['PROCESS_MESSAGE_SUBSCRIPTION.CORRELATED', (record) => {
      const value = valueOf<ProcessMessageSubscriptionRecordValue>(record);
      if (value.interrupting) subscriptions.removeProcessMessageSubscription(value.elementInstanceKey, value.messageName);
    }],
    ['PROCESS_MESSAGE_SUBSCRIPTION.DELETING', (record) => {
      const value = valueOf<ProcessMessageSubscriptionRecordValue>(record);
      subscriptions.removeProcessMessageSubscription(value.elementInstanceKey, value.messageName);
    }],
    ['PROCESS_MESSAGE_SUBSCRIPTION.DELETED', nothing],
  ];
}

/** MESSAGE_START_EVENT_SUBSCRIPTION events: open per deployed version, and the instances they started. */
export function messageStartEventAppliers(state: EngineState): [string, Applier][] {
  return [
    ['MESSAGE_START_EVENT_SUBSCRIPTION.CREATED', (record) => state.subscriptions.putMessageStartSubscription(valueOf(record))],
    ['MESSAGE_START_EVENT_SUBSCRIPTION.DELETED', (record) => state.subscriptions.removeMessageStartSubscription(valueOf(record))],
    ['MESSAGE_START_EVENT_SUBSCRIPTION.CORRELATED', (record) => {
      const value = valueOf<MessageStartEventSubscriptionRecordValue>(record);
      state.messages.markCorrelatedToProcess(value.messageKey, value.bpmnProcessId);
      if (value.correlationKey !== '') {
        state.messages.putActiveInstance(value.tenantId, value.bpmnProcessId, value.correlationKey, value.processInstanceKey);
      }
    }],
  ];
}

/** SIGNAL and SIGNAL_SUBSCRIPTION events. */
export function signalAppliers(state: EngineState): [string, Applier][] {
  return [
    ['SIGNAL.BROADCASTED', nothing],
    ['SIGNAL_SUBSCRIPTION.CREATED', (record) => state.signalSubscriptions.putSubscription(record.key, valueOf(record))],
    ['SIGNAL_SUBSCRIPTION.DELETED', (record) => state.signalSubscriptions.removeSubscription(record.key)],
  ];
}

/** TIMER and PROCESS_EVENT events. */
export function timerAndTriggerAppliers(state: EngineState): [string, Applier][] {
  return [
    ['TIMER.CREATED', (record) => state.timers.putTimer(record.key, valueOf<TimerRecordValue>(record))],
    ['TIMER.TRIGGERED', (record) => state.timers.removeTimer(record.key)],
    ['TIMER.CANCELED', (record) => state.timers.removeTimer(record.key)],
    ['PROCESS_EVENT.TRIGGERING', (record) => state.eventTriggers.putTrigger(record.key, valueOf<ProcessEventRecordValue>(record))],
    ['PROCESS_EVENT.TRIGGERED', (record) => state.eventTriggers.removeTrigger(valueOf<ProcessEventRecordValue>(record).scopeKey)],
  ];
}
