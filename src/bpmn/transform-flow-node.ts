import { checkZeebeExtensionElements } from './extension-elements.js';
import { messages } from './messages.js';
import type { BpmnElementType, ExecutableFlowNode, ExecutableProcess } from './model.js';
import type { BpmnFlowElement } from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';
import { SERVICE_TASK_EXTENSIONS, transformServiceTask } from './transform-service-task.js';

/** Flow nodes Tributary runs, by their moddle type. */
const SUPPORTED_FLOW_NODES: { readonly [moddleType: string]: BpmnElementType } = {
  'bpmn:StartEvent': 'START_EVENT',
  'bpmn:EndEvent': 'END_EVENT',
  'bpmn:ServiceTask': 'SERVICE_TASK',
  'bpmn:ExclusiveGateway': 'EXCLUSIVE_GATEWAY',
  'bpmn:ParallelGateway': 'PARALLEL_GATEWAY',
};

/** Flow elements that only describe data and have no behaviour; Zeebe ignores them too. */
const IGNORED_FLOW_ELEMENTS = new Set(['bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

export type FlowNodeTransformation =
  | { kind: 'node'; node: ExecutableFlowNode }
  /** An element that is reported as unsupported (flows to and from it are not reported again). */
  | { kind: 'unsupported' }
  | { kind: 'ignored' };

/** Turns one flow element other than a sequence flow into an executable flow node of the process. */
export function transformFlowNode(
  context: TransformContext,
  element: BpmnFlowElement,
  process: ExecutableProcess,
): FlowNodeTransformation {
  if (IGNORED_FLOW_ELEMENTS.has(element.$type)) {
    return { kind: 'ignored' };
  }
  const elementType = SUPPORTED_FLOW_NODES[element.$type];
  if (elementType === undefined) {
    report(context, element.id, messages.unsupportedElement(element.$type));
    return { kind: 'unsupported' };
  }
  if (!checkSupportedDetails(context, element)) {
    return { kind: 'unsupported' };
  }
  const isEvent = elementType === 'START_EVENT' || elementType === 'END_EVENT';
  const node: ExecutableFlowNode = {
    id: element.id ?? '',
    name: element.name,
    bpmnElementType: elementType,
    bpmnEventType: isEvent ? 'NONE' : 'UNSPECIFIED',
    flowScope: process,
    incoming: [],
    outgoing: [],
    inputMappings: [],
    outputMappings: [],
  };
  if (elementType === 'SERVICE_TASK') {
    transformServiceTask(context, element, node);
  }
  checkZeebeExtensionElements(context, element, elementType === 'SERVICE_TASK' ? SERVICE_TASK_EXTENSIONS : []);
  return { kind: 'node', node };
}

/** Event definitions (timer, message, ...) and loop characteristics make an element one Tributary cannot run. */
function checkSupportedDetails(context: TransformContext, element: BpmnFlowElement): boolean {
  const unsupported = [...(element.eventDefinitions ?? [])];
  if (element.loopCharacteristics !== undefined) {
    unsupported.push(element.loopCharacteristics);
  }
  for (const detail of unsupported) {
    report(context, element.id, messages.unsupportedElement(detail.$type));
  }
  return unsupported.length === 0;
}
