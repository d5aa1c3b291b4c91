import type { ExecutableFlowNode } from '../../bpmn/index.js';
import type { CompensationSubscriptionRecordValue } from '../../protocol/index.js';
import type { ReadonlyEngineState, StoredCompensationSubscription } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { ProcessCache } from '../process-cache.js';
import type { Writers } from '../writers.js';
import type { ElementBehavior } from './element-behavior.js';

/**
 * Compensation with Zeebe's semantics (8.5 and later). An activity with a compensation boundary event opens a
 * COMPENSATION_SUBSCRIPTION each time it completes; so does an embedded subprocess that completed with such
 * activities inside. A compensation throw or end event triggers the subscriptions of its scope (only the one of
 * its activityRef when it names one), going into completed subprocesses: each handler is activated beside the
 * throw event, which waits until every handler it invoked has completed. Active or terminated activities are not
 * compensated, and each completion is compensated once.
 */
export class CompensationBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
    private readonly processes: ProcessCache,
    private readonly elements: ElementBehavior,
  ) {}

  /** An activity is completing: it can be compensated from now on when it has a handler or compensable children. */
  activityCompleting(activity: ElementContext): void {
    const { element, value } = activity;
    if (value.bpmnElementType === 'MULTI_INSTANCE_BODY' || element.isForCompensation) return;
    const handler = element.boundaryEvents.find((event) => event.bpmnEventType === 'COMPENSATION')?.compensation?.handler;
    const isCompensableScope = element.bpmnElementType === 'SUB_PROCESS' && this.subscriptionsInScope(value.processInstanceKey, activity.key).length > 0;
    if (!handler && !isCompensableScope) return;
    // An inner instance of a multi-instance activity belongs to the scope of its body.
    let scope = this.state.elementInstances.getInstance(value.flowScopeKey);
    if (scope && scope.value.bpmnElementType === 'MULTI_INSTANCE_BODY') scope = this.state.elementInstances.getInstance(scope.value.flowScopeKey);
    const subscription: CompensationSubscriptionRecordValue = {
      tenantId: value.tenantId,
      processInstanceKey: value.processInstanceKey,
      processDefinitionKey: value.processDefinitionKey,
      compensableActivityId: element.id,
      compensableActivityScopeId: scope?.value.elementId ?? '',
      compensableActivityInstanceKey: activity.key,
      compensableActivityScopeKey: scope?.key ?? value.flowScopeKey,
      throwEventId: '',
      throwEventInstanceKey: -1n,
      compensationHandlerId: handler?.id ?? '',
      compensationHandlerInstanceKey: -1n,
      variables: {},
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'COMPENSATION_SUBSCRIPTION', 'CREATED', subscription);
  }

  /**
   * A compensation throw or end event was activated: invokes the handlers of its scope's completed activities.
   * Returns how many handlers it invoked; the throw event waits for them when there are any.
   */
  throwCompensation(thrower: ElementContext): number {
    const { value } = thrower;
    const scopeKeys = [value.flowScopeKey];
    // From an event subprocess, compensation reaches the activities of the scope the event subprocess is in.
    const scope = this.state.elementInstances.getInstance(value.flowScopeKey);
    if (scope && scope.value.bpmnElementType === 'EVENT_SUB_PROCESS') scopeKeys.push(scope.value.flowScopeKey);
    const activity = thrower.element.compensation?.activity;
    const roots = scopeKeys
      .flatMap((scopeKey) => this.subscriptionsInScope(value.processInstanceKey, scopeKey))
      .filter((subscription) => !activity || subscription.value.compensableActivityId === activity.id);
    let invoked = 0;
    const pending = [...roots];
    for (let step = 0; step < COMPENSATION_STEPS_MAX && pending.length > 0; step++) {
      const subscription = pending.shift()!;
      if (subscription.value.compensationHandlerId !== '') {
        this.invokeHandler(thrower, subscription);
        invoked += 1;
      }
      // A completed subprocess: the activities it completed are compensated too.
      pending.push(...this.subscriptionsInScope(value.processInstanceKey, subscription.value.compensableActivityInstanceKey));
    }
    return invoked;
  }

  /** A compensation handler completed: its subscription is done, and the throw event completes after the last one. */
  handlerCompleted(handler: ElementContext): void {
    const processInstanceKey = handler.value.processInstanceKey;
    let completed: StoredCompensationSubscription | undefined;
    this.state.compensationSubscriptions.forEachSubscription(processInstanceKey, (subscription) => {
      if (subscription.value.compensationHandlerInstanceKey === handler.key) completed = subscription;
    });
    if (!completed) return;
    this.writers.appendEvent(completed.key, 'COMPENSATION_SUBSCRIPTION', 'COMPLETED', completed.value);
    const throwEventKey = completed.value.throwEventInstanceKey;
    let running = 0;
    this.state.compensationSubscriptions.forEachSubscription(processInstanceKey, (subscription) => {
      if (subscription.value.throwEventInstanceKey === throwEventKey && subscription.value.compensationHandlerInstanceKey >= 0n) running += 1;
    });
    const thrower = this.state.elementInstances.getInstance(throwEventKey);
    if (running === 0 && thrower && thrower.state === 'ACTIVATED') this.elements.completeElement(thrower.key, thrower.value);
  }

  /** The process instance completed: what was not compensated can no longer be. */
  deleteSubscriptions(processInstanceKey: bigint): void {
    this.state.compensationSubscriptions.forEachSubscription(processInstanceKey, (subscription) => {
      this.writers.appendEvent(subscription.key, 'COMPENSATION_SUBSCRIPTION', 'DELETED', subscription.value);
    });
  }

  private invokeHandler(thrower: ElementContext, subscription: StoredCompensationSubscription): void {
    const process = this.processes.get(subscription.value.processDefinitionKey);
    const handler: ExecutableFlowNode | undefined = process.elements.get(subscription.value.compensationHandlerId);
    if (!handler) throw new Error(`Expected compensation handler '${subscription.value.compensationHandlerId}' in process '${process.id}'`);
    const handlerKey = this.state.keys.nextKey();
    const triggered: CompensationSubscriptionRecordValue = {
      ...subscription.value,
      throwEventId: thrower.element.id,
      throwEventInstanceKey: thrower.key,
      compensationHandlerInstanceKey: handlerKey,
    };
    this.writers.appendEvent(subscription.key, 'COMPENSATION_SUBSCRIPTION', 'TRIGGERED', triggered);
    // Beside the throw event: the scope of the compensated activity may have completed long ago.
    this.elements.activateElementWithKey(handlerKey, handler, thrower.value.flowScopeKey, thrower.value);
  }

  /** The subscriptions of a scope that have not been triggered yet. */
  private subscriptionsInScope(processInstanceKey: bigint, scopeKey: bigint): StoredCompensationSubscription[] {
    const found: StoredCompensationSubscription[] = [];
    this.state.compensationSubscriptions.forEachSubscription(processInstanceKey, (subscription) => {
      if (subscription.value.compensableActivityScopeKey === scopeKey && subscription.value.throwEventInstanceKey < 0n) found.push(subscription);
    });
    return found;
  }
}

/** Bound on the walk through nested completed subprocesses; far above any real model. */
const COMPENSATION_STEPS_MAX = 100_000;
