import type { CompensationSubscriptionRecordValue, Record } from '../../protocol/index.js';
import type { EngineState } from '../../state/domain/index.js';

type Applier = (record: Record) => void;
const nothing: Applier = () => {};

/** ESCALATION events only report what became of an escalation; the catch event's trigger carries the state. */
export function escalationAppliers(): [string, Applier][] {
  return [
    ['ESCALATION.ESCALATED', nothing],
    ['ESCALATION.NOT_ESCALATED', nothing],
  ];
}

/** COMPENSATION_SUBSCRIPTION events: open while the activity can be compensated or its handler runs. */
export function compensationSubscriptionAppliers(state: EngineState): [string, Applier][] {
  const subscriptions = state.compensationSubscriptions;
  const put: Applier = (record) => subscriptions.putSubscription(record.key, record.value as unknown as CompensationSubscriptionRecordValue);
  const remove: Applier = (record) => {
    const value = record.value as unknown as CompensationSubscriptionRecordValue;
    subscriptions.removeSubscription(value.processInstanceKey, record.key);
  };
  return [
    ['COMPENSATION_SUBSCRIPTION.CREATED', put],
    ['COMPENSATION_SUBSCRIPTION.TRIGGERED', put],
    ['COMPENSATION_SUBSCRIPTION.COMPLETED', remove],
    ['COMPENSATION_SUBSCRIPTION.DELETED', remove],
  ];
}
