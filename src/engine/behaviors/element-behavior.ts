import type { ExecutableFlowNode, ExecutableProcess, ExecutableSequenceFlow } from '../../bpmn/index.js';
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
    // A token at an inclusive join waits; activateReadyInclusiveJoins decides after the command is processed.
    if (isInclusiveJoin(target)) return;
    if (!isJoin(target) || completesJoin) this.activateElement(target, flowScopeKey, context.value);
  }

  /**
   * Activates each inclusive join of a scope whose waiting tokens are all that can still arrive. Called after every
   * element command of the scope, so a branch that ends elsewhere, or is terminated, releases the join too.
   */
  activateReadyInclusiveJoins(flowScopeKey: bigint, process: ExecutableProcess, template: ProcessInstanceRecordValue): void {
    const scope = this.state.elementInstances.getInstance(flowScopeKey);
    if (!scope || scope.state !== 'ACTIVATED' || scope.activeSequenceFlows === 0) return;
    const gatewayIds = new Set<string>();
    this.state.elementInstances.forEachTakenFlow(flowScopeKey, (gatewayId) => gatewayIds.add(gatewayId));
    for (const gatewayId of gatewayIds) {
      const gateway = process.elements.get(gatewayId);
      if (gateway && isInclusiveJoin(gateway) && this.canJoinInclusive(flowScopeKey, gateway, process)) {
        this.activateElement(gateway, flowScopeKey, template);
      }
    }
  }

  /**
   * Tributary's inclusive join rule: the join waits while a token is on its way to any element of the scope (not
   * yet activated), or while an active element of the scope can still reach an incoming flow that has no token.
   * Zeebe's rule (no more tokens can reach the join) is the same for models without loops back behind the join.
   */
  canJoinInclusive(flowScopeKey: bigint, gateway: ExecutableFlowNode, process: ExecutableProcess): boolean {
    const scope = this.state.elementInstances.getInstance(flowScopeKey);
    if (!scope) return false;
    let waitingTokens = 0;
    let tokensHere = 0;
    this.state.elementInstances.forEachTakenFlow(flowScopeKey, (gatewayId, _flowId, count) => {
      waitingTokens += count;
      if (gatewayId === gateway.id) tokensHere += count;
    });
    if (tokensHere === 0 || scope.activeSequenceFlows > waitingTokens) return false;
    const missing = gateway.incoming.filter(
      (flow) => this.state.elementInstances.getTakenFlowCount(flowScopeKey, gateway.id, flow.id) === 0,
    );
    if (missing.length === 0) return true;
    const reachable = new Set<string>();
    this.state.elementInstances.forEachChild(flowScopeKey, (child) => {
      if (child.state !== 'TERMINATING' && child.value.elementId !== gateway.id) {
        collectReachableFlows(process.elements.get(child.value.elementId), gateway, reachable);
      }
    });
    return missing.every((flow) => !reachable.has(flow.id));
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

/** Inclusive gateways with several incoming flows join the tokens that can still arrive. */
export function isInclusiveJoin(element: ExecutableFlowNode): boolean {
  return element.bpmnElementType === 'INCLUSIVE_GATEWAY' && element.incoming.length > 1;
}

/** Walks the flows reachable from an element (and its boundary events), stopping at the join. */
function collectReachableFlows(start: ExecutableFlowNode | undefined, join: ExecutableFlowNode, reachable: Set<string>): void {
  if (!start) return;
  const pending: ExecutableFlowNode[] = [start];
  const visited = new Set<string>();
  for (let step = 0; step < REACHABILITY_STEPS_MAX && pending.length > 0; step += 1) {
    const node = pending.pop()!;
    if (visited.has(node.id)) continue;
    visited.add(node.id);
    for (const boundary of node.boundaryEvents) pending.push(boundary);
    for (const flow of node.outgoing) {
      reachable.add(flow.id);
      if (flow.target !== join) pending.push(flow.target);
    }
  }
}

/** A bound on the walk; a process has far fewer elements. */
const REACHABILITY_STEPS_MAX = 100_000;
