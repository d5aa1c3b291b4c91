import type { ExecutableFlowNode, VariableLookup } from '../../bpmn/index.js';
import type { VariableDocument } from '../../protocol/index.js';
import type { ElementInstance, ReadonlyEngineState } from '../../state/domain/index.js';
import type { ProcessCache } from '../process-cache.js';
import type { EventTriggerBehavior } from './event-trigger-behavior.js';
import type { VariableBehavior } from './variable-behavior.js';

/**
 * Throws a BPMN error from an element instance: looks for the nearest error catch event, from the element itself
 * up through its enclosing scopes; one with the error's code wins over a catch-all one on the same element. The
 * catching activity is terminated and the catch event activated (see EventTriggerBehavior). A called process's
 * errors go on to its call activity.
 */
export class ErrorBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly processes: ProcessCache,
    private readonly variables: VariableBehavior,
    private readonly eventTriggers: EventTriggerBehavior,
  ) {}

  /** Returns false when no catch event caught the error (the caller raises the incident). */
  throwError(fromElementInstanceKey: bigint, errorCode: string, variables: VariableDocument): boolean {
    let instance = this.state.elementInstances.getInstance(fromElementInstanceKey);
    for (let depth = 0; instance && depth < SCOPE_DEPTH_MAX; depth++) {
      const process = this.processes.get(instance.value.processDefinitionKey);
      const element = instance.value.bpmnElementType === 'PROCESS' ? process : process.elements.get(instance.value.elementId);
      // The boundary events of a multi-instance activity belong to its body; its event subprocesses to the inner
      // instances, so an error caught inside starts the event subprocess in the inner instance that threw it.
      const isBody = instance.value.bpmnElementType === 'MULTI_INSTANCE_BODY';
      const isInner = element?.multiInstance !== undefined && !isBody;
      const where = { inside: !isBody, boundary: !isInner };
      const catchEvent = element ? this.findCatchEvent(element, where, errorCode, this.variables.lookup(instance.key)) : undefined;
      if (catchEvent && this.catchOn(instance, catchEvent, variables)) return true;
      // From a called process, the error goes on to its call activity, as in Zeebe.
      const next = instance.value.flowScopeKey >= 0n ? instance.value.flowScopeKey : instance.value.parentElementInstanceKey;
      instance = this.state.elementInstances.getInstance(next);
    }
    return false;
  }

  private catchOn(instance: ElementInstance, catchEvent: ExecutableFlowNode, variables: VariableDocument): boolean {
    return this.eventTriggers.trigger(instance, catchEvent.id, variables);
  }

  private findCatchEvent(
    element: ExecutableFlowNode,
    where: { inside: boolean; boundary: boolean },
    errorCode: string,
    lookup: VariableLookup,
  ): ExecutableFlowNode | undefined {
    // Inside a scope, its error event subprocesses catch first; then the boundary events on it.
    const isError = (event: ExecutableFlowNode) => event.bpmnEventType === 'ERROR';
    const eventSubProcessStarts = where.inside ? (element.eventSubProcessStarts ?? []).filter(isError) : [];
    const catchEvents = [...eventSubProcessStarts, ...(where.boundary ? element.boundaryEvents.filter(isError) : [])];
    const byCode = catchEvents.find((event) => {
      const code = event.error?.errorCode?.evaluate(lookup);
      return code?.ok === true && String(code.value) === errorCode;
    });
    return byCode ?? catchEvents.find((event) => event.error?.errorCode === undefined);
  }
}

/** Bound on the walk up the scopes; far above any real nesting. */
const SCOPE_DEPTH_MAX = 1000;
