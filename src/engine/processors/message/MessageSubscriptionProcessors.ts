import { partitionIdOf, type MessageSubscriptionRecordValue, type ProcessMessageSubscriptionRecordValue, type Record } from '../../../protocol/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * The message partition's side of message subscriptions. The commands come from the partition of the process
 * instance; the answers go back there.
 */

/** MESSAGE_SUBSCRIPTION CREATE: opens the subscription, acknowledges it and correlates a buffered message. */
export class MessageSubscriptionCreateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as MessageSubscriptionRecordValue;
    if (context.state.subscriptions.getMessageSubscription(value.elementInstanceKey, value.messageName)) {
      const reason =
        `Expected to open a new message subscription for element with key '${value.elementInstanceKey}' and message name ` +
        `'${value.messageName}', but there is already a message subscription for that element key and message name opened`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    const key = context.state.keys.nextKey();
    context.writers.appendEvent(key, 'MESSAGE_SUBSCRIPTION', 'CREATED', value);
    context.behaviors.commands.send(partitionIdOf(value.processInstanceKey), 'PROCESS_MESSAGE_SUBSCRIPTION', 'CREATE', -1n, processSide(value, context.partitionId));
    const subscription = context.state.subscriptions.getMessageSubscription(value.elementInstanceKey, value.messageName);
    if (subscription) context.behaviors.messages.correlateBuffered(subscription, command.timestamp);
  }
}

/** MESSAGE_SUBSCRIPTION CORRELATE: the process instance took the message. */
export class MessageSubscriptionCorrelateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as MessageSubscriptionRecordValue;
    const subscription = context.state.subscriptions.getMessageSubscription(value.elementInstanceKey, value.messageName);
    if (!subscription) {
      context.writers.appendRejection(command, 'NOT_FOUND', notFound('correlate', value));
      return;
    }
    context.writers.appendEvent(subscription.key, 'MESSAGE_SUBSCRIPTION', 'CORRELATED', { ...subscription.value, messageKey: value.messageKey, variables: value.variables });
  }
}

/** MESSAGE_SUBSCRIPTION REJECT: the process instance could not take the message (it moved on meanwhile). */
export class MessageSubscriptionRejectProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as MessageSubscriptionRecordValue;
    const subscription = context.state.subscriptions.getMessageSubscription(value.elementInstanceKey, value.messageName);
    if (!subscription) {
      context.writers.appendRejection(command, 'NOT_FOUND', notFound('reject', value));
      return;
    }
    context.writers.appendEvent(subscription.key, 'MESSAGE_SUBSCRIPTION', 'REJECTED', { ...subscription.value, messageKey: value.messageKey });
  }
}

/** MESSAGE_SUBSCRIPTION DELETE: the element instance left; the subscription closes and the instance is told. */
export class MessageSubscriptionDeleteProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as MessageSubscriptionRecordValue;
    const subscription = context.state.subscriptions.getMessageSubscription(value.elementInstanceKey, value.messageName);
    if (!subscription) {
      context.writers.appendRejection(command, 'NOT_FOUND', notFound('delete', value));
      return;
    }
    context.writers.appendEvent(subscription.key, 'MESSAGE_SUBSCRIPTION', 'DELETED', subscription.value);
    context.behaviors.commands.send(partitionIdOf(value.processInstanceKey), 'PROCESS_MESSAGE_SUBSCRIPTION', 'DELETE', -1n, processSide(subscription.value, context.partitionId));
  }
}

function notFound(verb: string, value: MessageSubscriptionRecordValue): string {
  return (
    `Expected to ${verb} message subscription for element with key '${value.elementInstanceKey}' and message name ` +
    `'${value.messageName}', but no such message subscription exists`
  );
}

function processSide(value: MessageSubscriptionRecordValue, subscriptionPartitionId: number): ProcessMessageSubscriptionRecordValue {
  return {
    subscriptionPartitionId,
    processInstanceKey: value.processInstanceKey,
    elementInstanceKey: value.elementInstanceKey,
    bpmnProcessId: value.bpmnProcessId,
    messageName: value.messageName,
    correlationKey: value.correlationKey,
    messageKey: value.messageKey,
    variables: value.variables,
    interrupting: value.interrupting,
    elementId: '',
    tenantId: value.tenantId,
  };
}
