import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, terminateScope, type ElementProcessor } from './element-processor.js';

/**
 * The body of a multi-instance activity: evaluates the input collection, opens the boundary events, initialises
 * the output collection and activates the inner instances (all, or the first when sequential). An empty
 * collection completes the body at once.
 */
export class MultiInstanceBodyProcessor implements ElementProcessor {
  onActivate(body: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    const definition = body.element.multiInstance;
    if (!definition) throw new Error(`Element '${body.element.id}' is not a multi-instance activity`);
    const items = behaviors.multiInstance.inputCollection(body);
    if (!items) return;
    if (!behaviors.eventSubscriptions.subscribe(body)) return;
    behaviors.elements.transition(body, 'ELEMENT_ACTIVATED');
    if (definition.outputCollection) {
      behaviors.variables.mergeLocal(body.key, { [definition.outputCollection]: items.map(() => null) }, body.value);
    }
    if (items.length === 0) {
      behaviors.elements.completeElement(body.key, body.value);
      return;
    }
    const count = definition.sequential ? 1 : items.length;
    for (let index = 0; index < count; index++) behaviors.multiInstance.activateInner(body, body.element, items, index);
  }

  onComplete(body: ElementContext, context: ProcessingContext): void {
    completeAndLeave(body, context);
  }

  onTerminate(body: ElementContext, context: ProcessingContext): void {
    terminateScope(body, context);
  }
}
