import type { ExecutableFlowNode, ExecutableProcess } from '../../../bpmn/index.js';
import type { ProcessInstanceModificationActivateInstruction } from '../../../protocol/index.js';
import type { ElementInstance, ReadonlyEngineState } from '../../../state/domain/index.js';
import { isInclusiveJoin, isMultiInstanceBody } from '../../behaviors/index.js';

/**
 * Where an activate instruction puts its element: under `anchor` (an active flow scope instance), after creating
 * an instance of each of `missing` (the flow scopes between the anchor and the element, outermost first).
 */
export interface ActivationTarget {
  anchor: ElementInstance;
  missing: ExecutableFlowNode[];
}

export type ActivationProblem = 'ancestor-invalid' | 'not-an-ancestor' | 'ambiguous-flow-scope';

/** The flow scopes of an element from the process down to its own flow scope. */
export function flowScopesOf(element: ExecutableFlowNode): ExecutableFlowNode[] {
  const scopes: ExecutableFlowNode[] = [];
  for (let scope = element.flowScope; scope; scope = scope.flowScope) scopes.unshift(scope);
  return scopes;
}

/**
 * Elements an activate instruction cannot start at, as in Zeebe: start and boundary events (reached by their
 * event), events after an event-based gateway (reached through the gateway), event subprocesses (started by their
 * event), compensation handlers (started by compensation), the process itself; and inclusive joins, which are
 * activated only once no token can reach them.
 */
export function isUnsupportedActivation(element: ExecutableFlowNode, process: ExecutableProcess): boolean {
  if (element === process || element.bpmnElementType === 'PROCESS') return true;
  const type = element.bpmnElementType;
  if (type === 'START_EVENT' || type === 'BOUNDARY_EVENT' || type === 'EVENT_SUB_PROCESS' || type === 'SEQUENCE_FLOW') return true;
  if (isInclusiveJoin(element) || (element as { isForCompensation?: boolean }).isForCompensation === true) return true;
  return element.incoming.some((flow) => flow.source.bpmnElementType === 'EVENT_BASED_GATEWAY');
}

/** An element inside a multi-instance activity: which inner instance to activate it in cannot be chosen. */
export function isInsideMultiInstance(element: ExecutableFlowNode): boolean {
  return flowScopesOf(element).some((scope) => scope.multiInstance !== undefined);
}

/**
 * Finds the flow scope instance an element is activated in: from the given ancestor (or the process instance)
 * down the element's flow scopes, following the one active instance of each; where there is none, the rest are
 * created. Where there are several, the instruction must name an ancestor.
 */
export function resolveActivation(
  state: ReadonlyEngineState,
  processInstance: ElementInstance,
  element: ExecutableFlowNode,
  instruction: ProcessInstanceModificationActivateInstruction,
): ActivationTarget | ActivationProblem {
  const scopes = flowScopesOf(element);
  let anchor = processInstance;
  let depth = 0;
  if (instruction.ancestorScopeKey > 0n) {
    const ancestor = state.elementInstances.getInstance(instruction.ancestorScopeKey);
    if (!ancestor || ancestor.state !== 'ACTIVATED' || ancestor.value.processInstanceKey !== processInstance.key) return 'ancestor-invalid';
    depth = scopes.findIndex((scope) => scope.id === ancestor.value.elementId && !isMultiInstanceBody(ancestor.value));
    if (depth < 0) return 'not-an-ancestor';
    anchor = ancestor;
  }
  for (let index = depth + 1; index < scopes.length; index += 1) {
    const instances = activeChildrenOf(state, anchor.key, scopes[index].id);
    if (instances.length === 0) return { anchor, missing: scopes.slice(index) };
    if (instances.length > 1) return 'ambiguous-flow-scope';
    anchor = instances[0];
  }
  return { anchor, missing: [] };
}

function activeChildrenOf(state: ReadonlyEngineState, scopeKey: bigint, elementId: string): ElementInstance[] {
  const found: ElementInstance[] = [];
  state.elementInstances.forEachChild(scopeKey, (child) => {
    if (child.value.elementId === elementId && child.state === 'ACTIVATED' && !isMultiInstanceBody(child.value)) found.push(child);
  });
  return found;
}

/**
 * The element instances a modification terminates: those named, and, as in Zeebe, each flow scope left with
 * nothing active (no other child, no token on its way) once they are gone, up to the process instance. Only the
 * outermost of them are returned: terminating a scope terminates what is inside it.
 */
export function instancesToTerminate(state: ReadonlyEngineState, named: bigint[]): ElementInstance[] {
  const terminating = new Set<bigint>(named);
  for (const key of named) {
    let child = state.elementInstances.getInstance(key);
    for (let depth = 0; child && child.value.flowScopeKey >= 0n && depth < SCOPE_DEPTH_MAX; depth += 1) {
      const scope = state.elementInstances.getInstance(child.value.flowScopeKey);
      if (!scope || scope.state !== 'ACTIVATED' || scope.activeSequenceFlows > 0 || !allChildrenGo(state, scope.key, terminating)) break;
      terminating.add(scope.key);
      child = scope;
    }
  }
  const outermost: ElementInstance[] = [];
  for (const key of terminating) {
    const instance = state.elementInstances.getInstance(key);
    if (instance && instance.state !== 'TERMINATING' && !hasAncestorIn(state, instance, terminating)) outermost.push(instance);
  }
  return outermost.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function allChildrenGo(state: ReadonlyEngineState, scopeKey: bigint, terminating: Set<bigint>): boolean {
  let all = true;
  state.elementInstances.forEachChild(scopeKey, (child) => {
    if (child.state !== 'TERMINATING' && !terminating.has(child.key)) all = false;
  });
  return all;
}

function hasAncestorIn(state: ReadonlyEngineState, instance: ElementInstance, keys: Set<bigint>): boolean {
  let scopeKey = instance.value.flowScopeKey;
  for (let depth = 0; scopeKey >= 0n && depth < SCOPE_DEPTH_MAX; depth += 1) {
    if (keys.has(scopeKey)) return true;
    scopeKey = state.elementInstances.getInstance(scopeKey)?.value.flowScopeKey ?? -1n;
  }
  return false;
}

/** Bound on walks up the scope tree; far above any real nesting. */
const SCOPE_DEPTH_MAX = 1000;
