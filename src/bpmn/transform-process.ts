import { checkFlowNodes } from './check-flow-nodes.js';
import { checkZeebeExtensionElements, optionalExtensionElement } from './extension-elements.js';
import { messages } from './messages.js';
import type { ExecutableFlowNode, ExecutableProcess } from './model.js';
import type { BpmnArtifact, BpmnFlowElement, BpmnProcess, ZeebeVersionTag } from './moddle-elements.js';
import { checkEscalationCatchEvents, linkCompensation } from './transform-compensation.js';
import { report, type TransformContext } from './transform-context.js';
import { transformFlowNode } from './transform-flow-node.js';
import { transformSequenceFlow } from './transform-sequence-flows.js';

/** Zeebe extension elements a process may have; a user task form belongs to user tasks, which are reported. */
const PROCESS_EXTENSIONS = ['zeebe:VersionTag', 'zeebe:UserTaskForm'];

/**
 * Turns an executable bpmn:process into the model the engine runs, reporting every problem on the way. Returns
 * undefined when the process cannot be run; its problems are in the context then.
 */
export function transformProcess(context: TransformContext, bpmnProcess: BpmnProcess): ExecutableProcess | undefined {
  if (bpmnProcess.id === undefined) {
    report(context, undefined, messages.missingId(bpmnProcess.$type));
    return undefined;
  }
  checkZeebeExtensionElements(context, bpmnProcess, PROCESS_EXTENSIONS);
  const versionTag = optionalExtensionElement<ZeebeVersionTag>(context, bpmnProcess, 'zeebe:VersionTag', 'versionTag');
  const process: ExecutableProcess = {
    id: bpmnProcess.id,
    name: bpmnProcess.name,
    bpmnElementType: 'PROCESS',
    bpmnEventType: 'UNSPECIFIED',
    incoming: [],
    outgoing: [],
    inputMappings: [],
    outputMappings: [],
    versionTag: versionTag?.value,
    boundaryEvents: [],
    eventStartEvents: [],
    elements: new Map(),
    sequenceFlows: new Map(),
  };
  process.elements.set(process.id, process);
  transformScope(context, process, process, bpmnProcess.flowElements ?? [], bpmnProcess.artifacts ?? []);
  const startEvents = [...process.elements.values()].filter(
    (node) => node.bpmnElementType === 'START_EVENT' && node.flowScope === process,
  );
  const noneStartEvents = startEvents.filter((node) => node.bpmnEventType === 'NONE');
  if (noneStartEvents.length > 1) {
    report(context, process.id, messages.noneStartEventCount(process.id));
    return undefined;
  }
  if (startEvents.length === 0) {
    report(context, process.id, messages.noStartEvent(process.id));
    return undefined;
  }
  process.noneStartEvent = noneStartEvents[0];
  process.eventStartEvents = startEvents.filter((node) => node.bpmnEventType !== 'NONE');
  checkMessageStartNames(context, process);
  return process;
}

/** Transforms the flow elements of a scope (the process or an embedded subprocess), recursing into subprocesses. */
function transformScope(
  context: TransformContext,
  process: ExecutableProcess,
  scope: ExecutableFlowNode,
  elements: readonly BpmnFlowElement[],
  artifacts: readonly BpmnArtifact[],
): void {
  const flowElements = elements.filter((element) => hasId(context, element));
  const sequenceFlows = flowElements.filter((element) => element.$type === 'bpmn:SequenceFlow');
  const unsupportedIds = new Set<string>();
  const transformed: { node: ExecutableFlowNode; element: BpmnFlowElement }[] = [];
  for (const element of flowElements.filter((candidate) => candidate.$type !== 'bpmn:SequenceFlow')) {
    const result = transformFlowNode(context, element, scope);
    if (result.kind === 'node') {
      process.elements.set(result.node.id, result.node);
      transformed.push(result);
    } else if (result.kind === 'unsupported') {
      unsupportedIds.add(element.id as string);
    }
  }
  for (const { node, element } of transformed) {
    if (node.bpmnElementType === 'SUB_PROCESS') transformSubProcess(context, process, node, element);
    if (node.bpmnElementType === 'EVENT_SUB_PROCESS') transformEventSubProcess(context, process, scope, node, element);
  }
  for (const { node, element } of transformed) {
    if (node.bpmnElementType === 'BOUNDARY_EVENT') attachBoundaryEvent(context, process, node, element, unsupportedIds);
  }
  for (const flow of sequenceFlows) {
    transformSequenceFlow(context, flow, process, { unsupportedIds });
  }
  checkFlowNodes(context, process, flowElements);
  linkEvents(context, transformed.map(({ node }) => node));
  linkCompensation(context, process, transformed, artifacts);
  checkEscalationCatchEvents(context, scope, transformed.map(({ node }) => node));
}

/** Connects each throw link event to the catch link event of its name in the same scope. */
function linkEvents(context: TransformContext, nodes: readonly ExecutableFlowNode[]): void {
  const catches = new Map<string, ExecutableFlowNode>();
  for (const node of nodes) {
    if (node.bpmnElementType !== 'INTERMEDIATE_CATCH_EVENT' || !node.link) continue;
    if (catches.has(node.link.name)) report(context, node.id, messages.duplicateLinkCatch(node.link.name));
    catches.set(node.link.name, node);
  }
  for (const node of nodes) {
    if (node.bpmnElementType !== 'INTERMEDIATE_THROW_EVENT' || !node.link) continue;
    const target = catches.get(node.link.name);
    if (!target) report(context, node.id, messages.missingLinkCatch(node.link.name));
    node.link.target = target;
  }
}

function transformSubProcess(context: TransformContext, process: ExecutableProcess, node: ExecutableFlowNode, element: BpmnFlowElement): void {
  transformScope(context, process, node, element.flowElements ?? [], element.artifacts ?? []);
  const startEvents = [...process.elements.values()].filter(
    (candidate) => candidate.bpmnElementType === 'START_EVENT' && candidate.flowScope === node,
  );
  if (startEvents.some((start) => start.bpmnEventType !== 'NONE')) {
    report(context, node.id, messages.startEventDefinitionInSubProcess());
  } else if (startEvents.length !== 1) {
    report(context, node.id, messages.subProcessStartEvent());
  } else {
    node.noneStartEvent = startEvents[0];
  }
}

function transformEventSubProcess(
  context: TransformContext,
  process: ExecutableProcess,
  scope: ExecutableFlowNode,
  node: ExecutableFlowNode,
  element: BpmnFlowElement,
): void {
  transformScope(context, process, node, element.flowElements ?? [], element.artifacts ?? []);
  const startEvents = [...process.elements.values()].filter(
    (candidate) => candidate.bpmnElementType === 'START_EVENT' && candidate.flowScope === node,
  );
  if (startEvents.length !== 1 || startEvents[0].bpmnEventType === 'NONE') {
    report(context, node.id, messages.eventSubProcessStartEvent());
    return;
  }
  scope.eventSubProcessStarts = [...(scope.eventSubProcessStarts ?? []), startEvents[0]];
}

function attachBoundaryEvent(
  context: TransformContext,
  process: ExecutableProcess,
  node: ExecutableFlowNode,
  element: BpmnFlowElement,
  unsupportedIds: ReadonlySet<string>,
): void {
  const attachedId = element.attachedToRef?.id;
  if (attachedId === undefined) {
    if (!context.elementIdsWithUnresolvedReferences.has(node.id)) report(context, node.id, messages.boundaryWithoutAttachedTo());
    return;
  }
  const activity = process.elements.get(attachedId);
  if (activity === undefined) {
    if (!unsupportedIds.has(attachedId)) report(context, node.id, messages.boundaryOnNonActivity());
    return;
  }
  if (!isActivity(activity)) {
    report(context, node.id, messages.boundaryOnNonActivity());
    return;
  }
  // As in Zeebe, only a subprocess or a call activity can throw an escalation to its boundary.
  if (node.bpmnEventType === 'ESCALATION' && activity.bpmnElementType !== 'SUB_PROCESS' && activity.bpmnElementType !== 'CALL_ACTIVITY') {
    report(context, node.id, messages.escalationBoundaryOnTask());
    return;
  }
  node.attachedTo = activity;
  activity.boundaryEvents.push(node);
}

export function isActivity(node: ExecutableFlowNode): boolean {
  const type = node.bpmnElementType;
  return type.endsWith('_TASK') || type === 'TASK' || type === 'SUB_PROCESS' || type === 'CALL_ACTIVITY';
}

function checkMessageStartNames(context: TransformContext, process: ExecutableProcess): void {
  const names = new Set<string>();
  for (const start of process.eventStartEvents) {
    const name = start.message?.name;
    if (name === undefined || !name.isStatic) continue;
    if (names.has(name.source)) report(context, start.id, messages.duplicateMessageStart(name.source));
    names.add(name.source);
  }
}

function hasId(context: TransformContext, element: BpmnFlowElement): boolean {
  if (element.id === undefined || element.id === '') {
    report(context, undefined, messages.missingId(element.$type));
    return false;
  }
  return true;
}
