import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, terminateLeaf, type ElementProcessor } from './element-processor.js';

/** None start and none end events: pass through at once (a COMPLETE_ELEMENT follows activation, as in Zeebe). */
export class NoneEventProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    context.behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
    context.behaviors.elements.completeElement(element.key, element.value);
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    completeAndLeave(element, context);
  }

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    terminateLeaf(element, context);
  }
}
