import { checkFlowNodes } from './check-flow-nodes.js';
import { checkZeebeExtensionElements, optionalExtensionElement } from './extension-elements.js';
import { messages } from './messages.js';
import type { ExecutableFlowNode, ExecutableProcess } from './model.js';
import type { BpmnFlowElement, BpmnProcess, ZeebeVersionTag } from './moddle-elements.js';
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
    // Set below once the start event is known; a process without one is never returned.
    noneStartEvent: undefined as unknown as ExecutableFlowNode,
    elements: new Map(),
    sequenceFlows: new Map(),
  };
  process.elements.set(process.id, process);
  const flowElements = (bpmnProcess.flowElements ?? []).filter((element) => hasId(context, element));
  const sequenceFlows = flowElements.filter((element) => element.$type === 'bpmn:SequenceFlow');
  const unsupportedIds = new Set<string>();
  for (const element of flowElements.filter((candidate) => candidate.$type !== 'bpmn:SequenceFlow')) {
    const result = transformFlowNode(context, element, process);
    if (result.kind === 'node') {
      process.elements.set(result.node.id, result.node);
    } else if (result.kind === 'unsupported') {
      unsupportedIds.add(element.id as string);
    }
  }
  for (const flow of sequenceFlows) {
    transformSequenceFlow(context, flow, process, { unsupportedIds });
  }
  checkFlowNodes(context, process, flowElements);
  const noneStartEvents = [...process.elements.values()].filter((node) => node.bpmnElementType === 'START_EVENT');
  if (noneStartEvents.length !== 1) {
    report(context, process.id, messages.noneStartEvent(process.id));
    return undefined;
  }
  process.noneStartEvent = noneStartEvents[0];
  return process;
}

function hasId(context: TransformContext, element: BpmnFlowElement): boolean {
  if (element.id === undefined || element.id === '') {
    report(context, undefined, messages.missingId(element.$type));
    return false;
  }
  return true;
}
