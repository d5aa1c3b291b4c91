import type { ElementContext, ProcessingContext } from '../../context.js';

/**
 * What one BPMN element type does at each step of its lifecycle. The BPMN stream processor has already written
 * ELEMENT_ACTIVATING (and applied input mappings), ELEMENT_COMPLETING (and applied output mappings) or
 * ELEMENT_TERMINATING when these run.
 */
export interface ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void;
  onComplete(element: ElementContext, context: ProcessingContext): void;
  onTerminate(element: ElementContext, context: ProcessingContext): void;
}

/** The common end of termination: resolve incidents, write TERMINATED, and let the scope finish if it waits. */
export function terminateLeaf(element: ElementContext, context: ProcessingContext, jobKey = -1n): void {
  const { behaviors } = context;
  behaviors.incidents.resolveIncidentsOf(element.key, jobKey);
  behaviors.elements.transition(element, 'ELEMENT_TERMINATED');
  behaviors.elements.finishScopeTerminationIfDone(element.value.flowScopeKey);
}

/** The common end of completion: write COMPLETED and move on along the outgoing flows. */
export function completeAndLeave(element: ElementContext, context: ProcessingContext): void {
  context.behaviors.elements.transition(element, 'ELEMENT_COMPLETED');
  context.behaviors.elements.takeOutgoingFlows(element);
}
