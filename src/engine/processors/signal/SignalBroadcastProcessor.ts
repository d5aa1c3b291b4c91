import { DEFAULT_TENANT_ID, type Record, type SignalRecordValue } from '../../../protocol/index.js';
import type { StoredSignalSubscription } from '../../../state/domain/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';

/**
 * SIGNAL BROADCAST: a signal reaches every subscription to its name on this partition: signal start events start
 * an instance, catch events and boundary events of waiting element instances are triggered.
 */
export class SignalBroadcastProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as SignalRecordValue;
    const signal: SignalRecordValue = {
      signalName: request.signalName ?? '',
      variables: request.variables ?? {},
      tenantId: request.tenantId || DEFAULT_TENANT_ID,
    };
    if (signal.signalName === '') {
      context.writers.appendRejection(command, 'INVALID_ARGUMENT', 'Expected to broadcast a signal with a name, but the name was empty');
      return;
    }
    const event = context.writers.appendEvent(context.state.keys.nextKey(), 'SIGNAL', 'BROADCASTED', signal);
    context.writers.respond(command, event);
    const subscriptions: StoredSignalSubscription[] = [];
    context.state.signalSubscriptions.forEachSubscription(signal.tenantId, signal.signalName, (subscription) => subscriptions.push(subscription));
    for (const subscription of subscriptions) this.trigger(subscription, signal, context);
  }

  private trigger(subscription: StoredSignalSubscription, signal: SignalRecordValue, context: ProcessingContext): void {
    const value = subscription.value;
    if (value.catchEventInstanceKey < 0n) {
      const process = context.state.processes.getProcessByKey(value.processDefinitionKey);
      if (process) context.behaviors.eventTriggers.startInstance(process, value.catchEventId, signal.variables);
      return;
    }
    const instance = context.state.elementInstances.getInstance(value.catchEventInstanceKey);
    if (instance) context.behaviors.eventTriggers.trigger(instance, value.catchEventId, signal.variables);
  }
}
