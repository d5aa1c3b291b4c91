import type { ExecutableFlowNode, ExecutableSequenceFlow } from '../../bpmn/index.js';
import type { Intent, ProcessInstanceRecordValue } from '../../protocol/index.js';
import type { ElementInstance, ReadonlyEngineState } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { Writers } from '../writers.js';

/**
 * The lifecycle of element instances: writes the PROCESS_INSTANCE events of each transition, takes sequence flows,
 * joins parallel branches and completes or terminates a scope once its last child is done.
 */
export class ElementBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
  ) {}

  transition(context: ElementContext, intent: Intent): void {
    this.writers.appendEvent(context.key, 'PROCESS_INSTANCE', intent, context.value);
  }

  /** Writes the command that activates an element inside a scope, with a new element instance key. */
  activateElement(element: ExecutableFlowNode, flowScopeKey: bigint, template: ProcessInstanceRecordValue): void {
    this.activateElementWithKey(this.state.keys.nextKey(), element, flowScopeKey, template);
  }

  /** Activates an element with a key chosen before (an event whose trigger was recorded for that key). */
  activateElementWithKey(key: bigint, element: ExecutableFlowNode, flowScopeKey: bigint, template: ProcessInstanceRecordValue): void {
    // A multi-instance activity reached over a flow starts as its body; the body activates the inner instances.
    const isBody = element.multiInstance !== undefined;
    const value: ProcessInstanceRecordValue = {
      ...template,
      elementId: element.id,
      flowScopeKey,
      bpmnElementType: isBody ? 'MULTI_INSTANCE_BODY' : element.bpmnElementType,
      bpmnEventType: element.bpmnEventType,
    };
    this.writers.appendCommand(key, 'PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', value);
  }

  /** Activates an element instance whose record value is complete already (an inner instance of a multi-instance body). */
  activateInstance(key: bigint, value: ProcessInstanceRecordValue): void {
    this.writers.appendCommand(key, 'PROCESS_INSTANCE', 'ACTIVATE_ELEMENT', value);
  }

  /** Writes the command that completes an element instance (after its work is done, e.g. its job completed). */
  completeElement(key: bigint, value: ProcessInstanceRecordValue): void {
    this.writers.appendCommand(key, 'PROCESS_INSTANCE', 'COMPLETE_ELEMENT', value);
  }

  terminateElement(key: bigint, value: ProcessInstanceRecordValue): void {
    this.writers.appendCommand(key, 'PROCESS_INSTANCE', 'TERMINATE_ELEMENT', value);
  }

  /** After an element completed: take every outgoing flow, or complete the scope when nothing else is active. */
  takeOutgoingFlows(context: ElementContext): void {
    if (context.element.outgoing.length === 0) {
      this.completeScopeIfDone(context.value.flowScopeKey);
      return;
    }
    for (const flow of context.element.outgoing) this.takeFlow(context, flow);
  }

  takeFlow(context: ElementContext, flow: ExecutableSequenceFlow): void {
    const flowScopeKey = context.value.flowScopeKey;
    const target = flow.target;
    // Decided before the event is applied: this token completes the join when every other incoming flow waits.
    const completesJoin = isJoin(target) && this.otherIncomingFlowsWait(flowScopeKey, target, flow);
    this.writeFlowTaken(context, flow);
    if (!isJoin(target) || completesJoin) this.activateElement(target, flowScopeKey, context.value);
  }

  /** Writes SEQUENCE_FLOW_TAKEN: a token on the flow, consumed when its target is activated. */
  writeFlowTaken(context: ElementContext, flow: ExecutableSequenceFlow): void {
    const flowValue: ProcessInstanceRecordValue = {
      ...context.value,
      elementId: flow.id,
      bpmnElementType: 'SEQUENCE_FLOW',
      bpmnEventType: 'UNSPECIFIED',
    };
    this.writers.appendEvent(this.state.keys.nextKey(), 'PROCESS_INSTANCE', 'SEQUENCE_FLOW_TAKEN', flowValue);
  }

  /**
   * Completes the scope when it has no active children and no token on its way; after a terminate end event, once
   * its last child is gone (tokens on their way are dropped with it).
   */
  completeScopeIfDone(flowScopeKey: bigint): void {
    const scope = this.state.elementInstances.getInstance(flowScopeKey);
    if (!scope || scope.state !== 'ACTIVATED' || scope.childCount > 0) return;
    if (scope.activeSequenceFlows === 0 || scope.terminateEndEventReached) this.completeElement(scope.key, scope.value);
  }

  /** After a child was terminated: writes TERMINATED for its scope when the scope is terminating and that was the last child. */
  terminateScopeIfDone(flowScopeKey: bigint): ElementInstance | undefined {
    const scope = this.state.elementInstances.getInstance(flowScopeKey);
    if (!scope || scope.state !== 'TERMINATING' || scope.childCount > 0) return undefined;
    this.writers.appendEvent(scope.key, 'PROCESS_INSTANCE', 'ELEMENT_TERMINATED', scope.value);
    return scope;
  }

  /** Terminates every active child of a scope (not those terminating already). */
  terminateChildren(scopeKey: bigint, except?: bigint): number {
    const children: ElementInstance[] = [];
    this.state.elementInstances.forEachChild(scopeKey, (child) => {
      if (child.state !== 'TERMINATING' && child.key !== except) children.push(child);
    });
    children.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const child of children) this.terminateElement(child.key, child.value);
    return children.length;
  }

  private otherIncomingFlowsWait(flowScopeKey: bigint, gateway: ExecutableFlowNode, taken: ExecutableSequenceFlow): boolean {
    return gateway.incoming.every(
      (incoming) =>
        incoming.id === taken.id || this.state.elementInstances.getTakenFlowCount(flowScopeKey, gateway.id, incoming.id) > 0,
    );
  }
}

/** Elements activated without a token on a sequence flow: they consume none. */
export function isActivatedWithoutFlow(bpmnElementType: string, bpmnEventType: string): boolean {
  if (bpmnElementType === 'INTERMEDIATE_CATCH_EVENT' && bpmnEventType === 'LINK') return true;
  if (bpmnElementType === 'EVENT_SUB_PROCESS') return true;
  return bpmnElementType === 'PROCESS' || bpmnElementType === 'START_EVENT' || bpmnElementType === 'BOUNDARY_EVENT';
}

/** A parallel gateway with several incoming flows waits for a token on each of them. */
export function isJoin(element: ExecutableFlowNode): boolean {
  return element.bpmnElementType === 'PARALLEL_GATEWAY' && element.incoming.length > 1;
}
