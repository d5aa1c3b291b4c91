import type { ElementInstance } from '../../../state/domain/index.js';
import { isInnerInstance, isMultiInstanceBody } from '../../behaviors/index.js';
import type { ElementContext, ProcessingContext } from '../../context.js';

/**
 * What one BPMN element type does at each step of its lifecycle. The BPMN stream processor has already written
 * ELEMENT_ACTIVATING (and applied input mappings), ELEMENT_COMPLETING (and applied output mappings) or
 * ELEMENT_TERMINATING (and closed the element's event subscriptions) when these run.
 */
export interface ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void;
  onComplete(element: ElementContext, context: ProcessingContext): void;
  onTerminate(element: ElementContext, context: ProcessingContext): void;
}

/** The common end of termination: resolve incidents, write TERMINATED, and let the scope go on. */
export function terminateLeaf(element: ElementContext, context: ProcessingContext, jobKey = -1n): void {
  const { behaviors } = context;
  behaviors.incidents.resolveIncidentsOf(element.key, jobKey);
  behaviors.elements.transition(element, 'ELEMENT_TERMINATED');
  afterTerminated({ key: element.key, value: element.value }, context);
}

/** Terminates a scope (process, subprocess): its children first; the last child's termination finishes it. */
export function terminateScope(element: ElementContext, context: ProcessingContext): void {
  context.behaviors.incidents.resolveIncidentsOf(element.key, -1n);
  if (context.behaviors.elements.terminateChildren(element.key) > 0) return;
  const instance = context.state.elementInstances.getInstance(element.key);
  if (!instance || instance.childCount > 0) return;
  context.behaviors.elements.transition(element, 'ELEMENT_TERMINATED');
  afterTerminated({ key: element.key, value: element.value }, context);
}

/**
 * After an element instance was terminated: an interrupting boundary event that caused it is activated now;
 * otherwise its scope goes on: a terminating scope finishes when this was its last child, and a scope that reached
 * a terminate end event completes.
 */
export function afterTerminated(terminated: Pick<ElementInstance, 'key' | 'value'>, context: ProcessingContext): void {
  const { behaviors } = context;
  if (behaviors.eventTriggers.activateInterruptingEvent(terminated)) return;
  const scopeKey = terminated.value.flowScopeKey;
  if (scopeKey < 0n) {
    finishCallActivityTermination(terminated, context);
    return;
  }
  const scope = behaviors.elements.terminateScopeIfDone(scopeKey);
  if (scope) {
    afterTerminated(scope, context);
    return;
  }
  if (behaviors.eventTriggers.activateInterruptingEventSubProcess(scopeKey)) return;
  const active = context.state.elementInstances.getInstance(scopeKey);
  // A multi-instance body whose completion condition was met completes once its other inner instances are gone.
  if (active && isMultiInstanceBody(active.value) && active.state === 'COMPLETING' && active.childCount === 0) {
    behaviors.elements.completeElement(active.key, active.value);
    return;
  }
  if (active?.terminateEndEventReached) behaviors.elements.completeScopeIfDone(scopeKey);
}

/** A called process instance was terminated because its call activity is terminating: the call activity ends too. */
function finishCallActivityTermination(terminated: Pick<ElementInstance, 'key' | 'value'>, context: ProcessingContext): void {
  const parentKey = terminated.value.parentElementInstanceKey;
  const parent = parentKey >= 0n ? context.state.elementInstances.getInstance(parentKey) : undefined;
  if (!parent || parent.state !== 'TERMINATING') return;
  context.behaviors.incidents.resolveIncidentsOf(parent.key, -1n);
  context.writers.appendEvent(parent.key, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED', parent.value);
  afterTerminated(parent, context);
}

/**
 * The common end of completion: write COMPLETED and move on along the outgoing flows; an inner instance of a
 * multi-instance activity hands over to its body instead.
 */
export function completeAndLeave(element: ElementContext, context: ProcessingContext): void {
  // Read before COMPLETED is applied; a completed activity with a compensation handler can be compensated later.
  context.behaviors.compensations.activityCompleting(element);
  if (isInnerInstance(element.element, element.value)) {
    context.behaviors.multiInstance.completeInner(element);
    return;
  }
  context.behaviors.elements.transition(element, 'ELEMENT_COMPLETED');
  if (element.element.isForCompensation) context.behaviors.compensations.handlerCompleted(element);
  context.behaviors.elements.takeOutgoingFlows(element);
}

/** Elements that pass straight through once activated (events triggered already, manual and undefined tasks). */
export function passThrough(element: ElementContext, context: ProcessingContext): void {
  context.behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  context.behaviors.elements.completeElement(element.key, element.value);
}
