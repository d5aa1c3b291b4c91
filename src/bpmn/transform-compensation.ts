import { messages } from './messages.js';
import type { ExecutableFlowNode, ExecutableProcess } from './model.js';
import type { BpmnArtifact, BpmnEventDefinition, BpmnFlowElement } from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';

/**
 * Connects the compensation elements of one scope, with Zeebe's rules: each compensation boundary event is
 * associated with exactly one compensation handler (an activity marked isForCompensation) and has no outgoing
 * flows; each handler is associated with a boundary event, has no flows and no boundary events of its own; a throw
 * or end event's activityRef names an activity of its own scope.
 */
export function linkCompensation(
  context: TransformContext,
  process: ExecutableProcess,
  transformed: readonly { node: ExecutableFlowNode; element: BpmnFlowElement }[],
  artifacts: readonly BpmnArtifact[],
): void {
  const associations = artifacts.filter((artifact) => artifact.$type === 'bpmn:Association');
  const associatedHandlers = new Set<ExecutableFlowNode>();
  for (const { node } of transformed) {
    if (node.bpmnElementType !== 'BOUNDARY_EVENT' || node.bpmnEventType !== 'COMPENSATION') continue;
    if (node.outgoing.length > 0) report(context, node.id, messages.compensationBoundaryWithOutgoing());
    const handlers = associatedWith(node, associations, process).filter((candidate) => candidate.isForCompensation === true);
    if (handlers.length !== 1) {
      report(context, node.id, messages.compensationBoundaryWithoutHandler());
      continue;
    }
    node.compensation = { handler: handlers[0] };
    associatedHandlers.add(handlers[0]);
  }
  for (const { node, element } of transformed) {
    if (node.isForCompensation) checkHandler(context, node, associatedHandlers);
    const isThrow = node.bpmnElementType === 'INTERMEDIATE_THROW_EVENT' || node.bpmnElementType === 'END_EVENT';
    if (isThrow && node.bpmnEventType === 'COMPENSATION') linkActivityRef(context, process, node, element);
  }
}

/** The elements an association connects to the node, whichever way it was drawn. */
function associatedWith(node: ExecutableFlowNode, associations: readonly BpmnArtifact[], process: ExecutableProcess): ExecutableFlowNode[] {
  const ids = associations.flatMap((association) => {
    if (association.sourceRef?.id === node.id) return [association.targetRef?.id];
    if (association.targetRef?.id === node.id) return [association.sourceRef?.id];
    return [];
  });
  return ids.flatMap((id) => {
    const element = id === undefined ? undefined : process.elements.get(id);
    return element ? [element] : [];
  });
}

function checkHandler(context: TransformContext, handler: ExecutableFlowNode, associated: ReadonlySet<ExecutableFlowNode>): void {
  if (handler.incoming.length > 0 || handler.outgoing.length > 0) report(context, handler.id, messages.compensationHandlerWithFlows());
  if (!associated.has(handler)) report(context, handler.id, messages.compensationHandlerWithoutBoundary());
  if (handler.boundaryEvents.length > 0) report(context, handler.id, messages.compensationHandlerWithBoundary());
}

function linkActivityRef(context: TransformContext, process: ExecutableProcess, node: ExecutableFlowNode, element: BpmnFlowElement): void {
  const definition = element.eventDefinitions?.[0] as BpmnEventDefinition | undefined;
  const activityId = definition?.activityRef?.id;
  if (activityId === undefined) return;
  const activity = process.elements.get(activityId);
  const compensable = activity?.boundaryEvents.some((event) => event.bpmnEventType === 'COMPENSATION') === true;
  const valid = activity !== undefined && activity.flowScope === node.flowScope && (compensable || activity.bpmnElementType === 'SUB_PROCESS');
  if (!valid) {
    report(context, node.id, messages.compensationActivityRefScope(activityId));
    return;
  }
  node.compensation = { activity };
}

/**
 * Escalation catch events of one scope (its event subprocesses' start events, and the boundary events of each
 * activity in it) must not catch the same code twice; a catch-all counts as one code of its own.
 */
export function checkEscalationCatchEvents(context: TransformContext, scope: ExecutableFlowNode, nodes: readonly ExecutableFlowNode[]): void {
  checkDistinctCodes(context, (scope.eventSubProcessStarts ?? []).filter((start) => nodes.includes(start.flowScope!)));
  for (const node of nodes) checkDistinctCodes(context, node.boundaryEvents);
}

function checkDistinctCodes(context: TransformContext, events: readonly ExecutableFlowNode[]): void {
  const codes = new Set<string>();
  for (const event of events) {
    if (event.bpmnEventType !== 'ESCALATION' || event.escalation === undefined) continue;
    const code = event.escalation.escalationCode?.source ?? '';
    if (codes.has(code)) report(context, event.id, messages.duplicateEscalationCatch(code));
    codes.add(code);
  }
}
