import type { ProcessMessageSubscriptionRecordValue, Record } from '../../../protocol/index.js';
import { messageSubscriptionOf } from '../../behaviors/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/** The process instance's side of message subscriptions; the commands come from the message partition. */

/** PROCESS_MESSAGE_SUBSCRIPTION CREATE: the message partition opened the subscription. */
export class ProcessMessageSubscriptionCreateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as ProcessMessageSubscriptionRecordValue;
    const subscription = context.state.subscriptions.getProcessMessageSubscription(value.elementInstanceKey, value.messageName);
    if (!subscription || subscription.state !== 'CREATING') {
      const reason =
        `Expected to create process message subscription with element key '${value.elementInstanceKey}' and message name ` +
        `'${value.messageName}', but no such subscription is being created`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      return;
    }
    context.writers.appendEvent(subscription.key, 'PROCESS_MESSAGE_SUBSCRIPTION', 'CREATED', subscription.value);
  }
}

/**
 * PROCESS_MESSAGE_SUBSCRIPTION CORRELATE: a message arrived for a waiting element instance. It triggers the catch
 * event; the message partition is told either way, so that it can correlate the message elsewhere if the instance
 * moved on.
 */
export class ProcessMessageSubscriptionCorrelateProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const value = command.value as unknown as ProcessMessageSubscriptionRecordValue;
    const subscription = context.state.subscriptions.getProcessMessageSubscription(value.elementInstanceKey, value.messageName);
    const instance = context.state.elementInstances.getInstance(value.elementInstanceKey);
    const answer = messageSubscriptionOf(value, instance?.value.processDefinitionKey ?? -1n);
    if (!subscription || !instance) {
      const reason =
        `Expected to correlate message subscription with element key '${value.elementInstanceKey}' and message name ` +
        `'${value.messageName}', but no such message subscription exists`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      context.behaviors.commands.send(value.subscriptionPartitionId, 'MESSAGE_SUBSCRIPTION', 'REJECT', -1n, answer);
      return;
    }
    const correlated: ProcessMessageSubscriptionRecordValue = { ...subscription.value, messageKey: value.messageKey, variables: value.variables };
    if (!context.behaviors.eventTriggers.canTrigger(instance)) {
      const reason = `Expected to correlate a message to element with key '${value.elementInstanceKey}', but it is no longer active`;
      context.writers.appendRejection(command, 'INVALID_STATE', reason);
      context.behaviors.commands.send(value.subscriptionPartitionId, 'MESSAGE_SUBSCRIPTION', 'REJECT', -1n, answer);
      return;
    }
    context.writers.appendEvent(subscription.key, 'PROCESS_MESSAGE_SUBSCRIPTION', 'CORRELATED', correlated);
    context.behaviors.eventTriggers.trigger(instance, subscription.value.elementId, value.variables);
    context.behaviors.commands.send(value.subscriptionPartitionId, 'MESSAGE_SUBSCRIPTION', 'CORRELATE', -1n, answer);
  }
}

/** PROCESS_MESSAGE_SUBSCRIPTION DELETE: the message partition closed the subscription of an element that left. */
export class ProcessMessageSubscriptionDeleteProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    context.writers.appendEvent(context.state.keys.nextKey(), 'PROCESS_MESSAGE_SUBSCRIPTION', 'DELETED', command.value);
  }
}
