import type { ElementContext, ProcessingContext } from '../../context.js';
import { completeAndLeave, passThrough, terminateLeaf, type ElementProcessor } from './element-processor.js';

/**
 * Job worker elements (service, send, business rule and user tasks, script tasks with a job, message throw and
 * end events): a job is created on activation, and the element waits until a worker completes it. Boundary events
 * are subscribed to first.
 */
export class JobWorkerProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    const { behaviors } = context;
    if (!behaviors.eventSubscriptions.subscribe(element)) return;
    if (!behaviors.jobs.createJob(element)) return;
    behaviors.elements.transition(element, 'ELEMENT_ACTIVATED');
  }

  readonly onComplete = completeAndLeave;

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    const jobKey = context.state.elementInstances.getInstance(element.key)?.jobKey ?? -1n;
    if (jobKey >= 0n) context.behaviors.jobs.cancelJob(jobKey);
    terminateLeaf(element, context, jobKey);
  }
}

/**
 * Script tasks with zeebe:script: the FEEL expression is evaluated on activation and its result set as the result
 * variable (local when the task has output mappings, which then decide what leaves it; else propagated), then the
 * task completes. A failing expression raises an incident.
 */
export class ScriptTaskProcessor implements ElementProcessor {
  private readonly jobWorker = new JobWorkerProcessor();

  onActivate(element: ElementContext, context: ProcessingContext): void {
    const script = element.element.script;
    if (!script) return this.jobWorker.onActivate(element, context);
    const { behaviors } = context;
    const result = script.expression.evaluate(behaviors.variables.lookup(element.key));
    if (!result.ok) {
      behaviors.incidents.raiseElementIncident(element, 'EXTRACT_VALUE_ERROR', result.message);
      return;
    }
    const document = { [script.resultVariable]: result.value };
    if (element.element.outputMappings.length > 0) behaviors.variables.mergeLocal(element.key, document, element.value);
    else behaviors.variables.mergePropagate(element.value.flowScopeKey, document, element.value);
    passThrough(element, context);
  }

  readonly onComplete = completeAndLeave;

  onTerminate(element: ElementContext, context: ProcessingContext): void {
    if (!element.element.script) return this.jobWorker.onTerminate(element, context);
    terminateLeaf(element, context);
  }
}

/** Manual tasks and undefined tasks (bpmn:task): nothing to do, they pass through. */
export class PassThroughTaskProcessor implements ElementProcessor {
  onActivate(element: ElementContext, context: ProcessingContext): void {
    passThrough(element, context);
  }

  readonly onComplete = completeAndLeave;
  readonly onTerminate = terminateLeaf;
}
