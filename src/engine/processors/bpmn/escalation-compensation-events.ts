import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, passThrough, terminateLeaf, type ElementProcessor } from './element-processor.js';

/**
 * Escalation throw and end events throw their escalation to the closest catch event around them. An interrupting
 * catch event terminates the scope this event is in, so the event waits to be terminated with it; otherwise (a
 * non-interrupting catch event, or none: an escalation is non-critical) the event completes and the flow goes on.
 */
export class EscalationThrowEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    const expression = element.element.escalation?.escalationCode;
    if (!expression) throw new Error(`Escalation event '${element.element.id}' has no escalation code`);
    const code = behaviors.incidents.evaluateStringOrRaise(element, expression, behaviors.variables.lookup(element.key));
    if (code === undefined) return;
    const { catchEvent } = behaviors.escalations.throwEscalation(element, code);
    if (catchEvent && catchEvent.interrupting !== false) {
      behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
      return;
    }
    passThrough(element, context);
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}

/**
 * Compensation throw and end events invoke the compensation handlers of the completed activities of their scope
 * (or of their activityRef) and wait until every one has completed; with nothing to compensate they pass through.
 */
export class CompensationThrowEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    if (behaviors.compensations.throwCompensation(element) === 0) {
      passThrough(element, context);
      return;
    }
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}
