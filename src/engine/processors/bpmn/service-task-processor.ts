import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, terminateLeaf, type ElementProcessor } from './element-processor.js';

/** Service tasks: a job is created on activation; the element waits until a worker completes the job. */
export class ServiceTaskProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    if (!context.behaviors.jobs.createJob(element)) return;
    context.behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  }

  onComplete(element: ElementContext, context: ProcessingContext): void {
    completeAndLeave(element, context);
  }

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    const jobKey = context.state.elementInstances.getInstance(element.key)?.jobKey ?? -1n;
    if (jobKey >= 0n) context.behaviors.jobs.cancelJob(jobKey);
    terminateLeaf(element, context, jobKey);
  }
}
