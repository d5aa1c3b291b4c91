import type { SignalRecordValue } from '../../../protocol/index.js';
import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, passThrough, terminateLeaf, type ElementProcessor } from './element-processor.js';

/**
 * Events that pass through at once: none start, end and throw events, start events triggered by a message or
 * timer, and boundary events (activated once triggered). A COMPLETE_ELEMENT follows activation, as in Zeebe.
 */
export class PassThroughEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    passThrough(element, context);
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}

/**
 * Intermediate message and timer catch events and receive tasks: wait for their message or timer. One activated
 * by an event-based gateway was triggered already and passes through.
 */
export class CatchEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    if (behaviors.eventTriggers.triggerOf(element.key, element.element.id)) {
      passThrough(element, context);
      return;
    }
    if (!behaviors.eventSubscriptions.subscribe(element)) return;
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}

/**
 * Error end events throw their error to the nearest catch event around them; uncaught, the end event stays
 * activating with an incident (UNHANDLED_ERROR_EVENT), as in Zeebe. A caught error terminates the catching scope,
 * this end event with it.
 */
export class ErrorEndEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    const expression = element.element.error?.errorCode;
    if (!expression) throw new Error(`Error end event '${element.element.id}' has no error code`);
    const code = behaviors.incidents.evaluateStringOrRaise(element, expression, behaviors.variables.lookup(element.key));
    if (code === undefined) return;
    if (!behaviors.errors.throwError(element.value.flowScopeKey, code, {})) {
      const message = `Expected to throw an error event with the code '${code}', but it was not caught. No error events are available in the scope.`;
      behaviors.incidents.raiseElementIncident(element, 'UNHANDLED_ERROR_EVENT', message);
      return;
    }
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}

/** Signal throw and end events: broadcast their signal (on this partition), then pass through. */
export class SignalThrowEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    const expression = element.element.signal?.name;
    if (!expression) throw new Error(`Signal event '${element.element.id}' has no signal name`);
    const name = behaviors.incidents.evaluateStringOrRaise(element, expression, behaviors.variables.lookup(element.key));
    if (name === undefined) return;
    const signal: SignalRecordValue = { signalName: name, variables: {}, tenantId: element.value.tenantId };
    context.writers.appendCommand(-1n, 'SIGNAL', 'BROADCAST', signal);
    passThrough(element, context);
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}

/** Throw link events: complete, then the flow goes on at the catch link event of their name. */
export class LinkThrowEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    passThrough(element, context);
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    const target = element.element.link?.target;
    if (!target) throw new Error(`Throw link event '${element.element.id}' has no catch link event`);
    context.behaviors.elements.transition(element, 'ELEMENT_COMPLETED');
    context.behaviors.elements.activateElement(target, element.value.flowScopeKey, element.value);
  }

  readonly onTerminate = terminateLeaf;
}

/** Terminate end events: complete, then terminate everything else in their scope, which then completes. */
export class TerminateEndEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    passThrough(element, context);
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    const { elements } = context.behaviors;
    elements.transition(element, 'ELEMENT_COMPLETED');
    const flowScopeKey = element.value.flowScopeKey;
    if (elements.terminateChildren(flowScopeKey) === 0) elements.completeScopeIfDone(flowScopeKey);
  }

  readonly onTerminate = terminateLeaf;
}
