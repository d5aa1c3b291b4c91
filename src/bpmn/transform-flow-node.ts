import { checkTargetPath, compileExpressionField } from './expression-fields.js';
import { checkZeebeExtensionElements, optionalExtensionElement } from './extension-elements.js';
import { messages } from './messages.js';
import type { BpmnElementType, ExecutableFlowNode, ExecutableProcess, MultiInstanceDefinition } from './model.js';
import {
  extensionElementsOfType,
  type BpmnFlowElement,
  type BpmnLoopCharacteristics,
  type ZeebeLoopCharacteristics,
  type ZeebeAssignmentDefinition,
  type ZeebeCalledElement,
  type ZeebeFormDefinition,
  type ZeebeScript,
  type ZeebeTaskSchedule,
} from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';
import { transformEventDefinition, transformMessage } from './transform-events.js';
import { fixedJobDefinition, transformIoMapping, transformJobWorker } from './transform-service-task.js';

/** Flow nodes Tributary runs, by their moddle type. */
const SUPPORTED_FLOW_NODES: { readonly [moddleType: string]: BpmnElementType } = {
  'bpmn:StartEvent': 'START_EVENT',
  'bpmn:EndEvent': 'END_EVENT',
  'bpmn:IntermediateCatchEvent': 'INTERMEDIATE_CATCH_EVENT',
  'bpmn:IntermediateThrowEvent': 'INTERMEDIATE_THROW_EVENT',
  'bpmn:BoundaryEvent': 'BOUNDARY_EVENT',
  'bpmn:ServiceTask': 'SERVICE_TASK',
  'bpmn:SendTask': 'SEND_TASK',
  'bpmn:BusinessRuleTask': 'BUSINESS_RULE_TASK',
  'bpmn:UserTask': 'USER_TASK',
  'bpmn:ScriptTask': 'SCRIPT_TASK',
  'bpmn:ReceiveTask': 'RECEIVE_TASK',
  'bpmn:ManualTask': 'MANUAL_TASK',
  'bpmn:Task': 'TASK',
  'bpmn:ExclusiveGateway': 'EXCLUSIVE_GATEWAY',
  'bpmn:ParallelGateway': 'PARALLEL_GATEWAY',
  'bpmn:InclusiveGateway': 'INCLUSIVE_GATEWAY',
  'bpmn:EventBasedGateway': 'EVENT_BASED_GATEWAY',
  'bpmn:SubProcess': 'SUB_PROCESS',
  'bpmn:CallActivity': 'CALL_ACTIVITY',
};

const EVENT_ELEMENTS = new Set<BpmnElementType>([
  'START_EVENT', 'END_EVENT', 'INTERMEDIATE_CATCH_EVENT', 'INTERMEDIATE_THROW_EVENT', 'BOUNDARY_EVENT',
]);

/** Elements whose work is a job for a worker. */
const JOB_WORKER_TASKS = new Set<BpmnElementType>(['SERVICE_TASK', 'SEND_TASK', 'BUSINESS_RULE_TASK']);

const JOB_EXTENSIONS = ['zeebe:TaskDefinition', 'zeebe:TaskHeaders'];
const USER_TASK_EXTENSIONS = ['zeebe:AssignmentDefinition', 'zeebe:FormDefinition', 'zeebe:TaskSchedule', 'zeebe:TaskHeaders'];

/** Zeebe's job type and header names of its job-based user tasks. */
const USER_TASK_JOB_TYPE = 'io.camunda.zeebe:userTask';

/** Flow elements that only describe data and have no behaviour; Zeebe ignores them too. */
const IGNORED_FLOW_ELEMENTS = new Set(['bpmn:DataObject', 'bpmn:DataObjectReference', 'bpmn:DataStoreReference']);

export type FlowNodeTransformation =
  | { kind: 'node'; node: ExecutableFlowNode; element: BpmnFlowElement }
  /** An element that is reported as unsupported (flows to and from it are not reported again). */
  | { kind: 'unsupported' }
  | { kind: 'ignored' };

/** Turns one flow element other than a sequence flow into an executable flow node inside a scope. */
export function transformFlowNode(
  context: TransformContext,
  element: BpmnFlowElement,
  flowScope: ExecutableFlowNode,
): FlowNodeTransformation {
  if (IGNORED_FLOW_ELEMENTS.has(element.$type)) {
    return { kind: 'ignored' };
  }
  const elementType = SUPPORTED_FLOW_NODES[element.$type];
  if (elementType === undefined) {
    report(context, element.id, messages.unsupportedElement(element.$type));
    return { kind: 'unsupported' };
  }
  const loop = element.loopCharacteristics;
  if (loop !== undefined && loop.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
    report(context, element.id, messages.unsupportedElement(loop.$type));
    return { kind: 'unsupported' };
  }
  const node: ExecutableFlowNode = {
    id: element.id ?? '',
    name: element.name,
    bpmnElementType: elementType === 'SUB_PROCESS' && element.triggeredByEvent === true ? 'EVENT_SUB_PROCESS' : elementType,
    bpmnEventType: 'UNSPECIFIED',
    flowScope,
    incoming: [],
    outgoing: [],
    inputMappings: [],
    outputMappings: [],
    boundaryEvents: [],
  };
  if (EVENT_ELEMENTS.has(elementType) && !transformEventDefinition(context, element, node)) {
    return { kind: 'unsupported' };
  }
  const allowed = transformDetails(context, element, node);
  checkZeebeExtensionElements(context, element, ['zeebe:IoMapping', ...allowed]);
  transformIoMapping(context, element, node);
  if (elementType === 'BOUNDARY_EVENT') node.interrupting = element.cancelActivity !== false;
  if (element.isForCompensation === true) node.isForCompensation = true;
  if (loop !== undefined) node.multiInstance = transformMultiInstance(context, element, loop);
  return { kind: 'node', node, element };
}

function transformMultiInstance(context: TransformContext, element: BpmnFlowElement, loop: BpmnLoopCharacteristics): MultiInstanceDefinition | undefined {
  const zeebe = optionalExtensionElement<ZeebeLoopCharacteristics>(context, loop, 'zeebe:LoopCharacteristics', 'loopCharacteristics');
  if (zeebe?.inputCollection === undefined || zeebe.inputCollection === '') {
    report(context, element.id, messages.missingInputCollection());
    return undefined;
  }
  const inputCollection = compileExpressionField(context, element.id, zeebe.inputCollection, { nonStatic: true });
  const outputElement = zeebe.outputElement ? compileExpressionField(context, element.id, zeebe.outputElement, { nonStatic: true }) : undefined;
  const conditionText = loop.completionCondition?.body?.trim();
  const completionCondition = conditionText ? compileExpressionField(context, element.id, conditionText, { nonStatic: true }) : undefined;
  if (zeebe.inputElement) checkTargetPath(context, element.id, zeebe.inputElement);
  if (zeebe.outputCollection) checkTargetPath(context, element.id, zeebe.outputCollection);
  if (!inputCollection) return undefined;
  return {
    sequential: loop.isSequential === true,
    inputCollection,
    inputElement: zeebe.inputElement || undefined,
    outputCollection: zeebe.outputCollection || undefined,
    outputElement,
    completionCondition,
  };
}

/** Reads what the element type needs beyond mappings; returns the Zeebe extension elements it reads. */
function transformDetails(context: TransformContext, element: BpmnFlowElement, node: ExecutableFlowNode): string[] {
  const type = node.bpmnElementType;
  if (JOB_WORKER_TASKS.has(type) || (node.bpmnEventType === 'MESSAGE' && (type === 'END_EVENT' || type === 'INTERMEDIATE_THROW_EVENT'))) {
    transformJobWorker(context, element, node);
    return JOB_EXTENSIONS;
  }
  if (type === 'USER_TASK') {
    node.job = fixedJobDefinition(USER_TASK_JOB_TYPE, userTaskHeaders(context, element));
    return USER_TASK_EXTENSIONS;
  }
  if (type === 'SCRIPT_TASK') {
    return transformScriptTask(context, element, node);
  }
  if (type === 'CALL_ACTIVITY') {
    const called = optionalExtensionElement<ZeebeCalledElement>(context, element, 'zeebe:CalledElement', 'calledElement');
    const processId = called?.processId ? compileExpressionField(context, element.id, called.processId) : undefined;
    if (called?.processId === undefined || called.processId === '') report(context, element.id, messages.missingCalledElement());
    const bindingType = called?.bindingType ?? 'latest';
    if (bindingType !== 'latest' && bindingType !== 'deployment' && bindingType !== 'versionTag') {
      report(context, element.id, messages.unknownBindingType(bindingType));
    }
    if (bindingType === 'versionTag' && !called?.versionTag) report(context, element.id, messages.missingVersionTag());
    if (called && processId && (bindingType === 'latest' || bindingType === 'deployment' || bindingType === 'versionTag')) {
      node.calledElement = {
        processId,
        bindingType,
        versionTag: bindingType === 'versionTag' ? called.versionTag : undefined,
        propagateAllChildVariables: called.propagateAllChildVariables !== false,
        propagateAllParentVariables: called.propagateAllParentVariables !== false,
      };
    }
    return ['zeebe:CalledElement'];
  }
  if (type === 'RECEIVE_TASK') {
    transformMessage(context, element, element.messageRef, node);
  }
  return [];
}

function transformScriptTask(context: TransformContext, element: BpmnFlowElement, node: ExecutableFlowNode): string[] {
  if (extensionElementsOfType(element, 'zeebe:TaskDefinition').length > 0) {
    transformJobWorker(context, element, node);
    return JOB_EXTENSIONS;
  }
  const script = optionalExtensionElement<ZeebeScript>(context, element, 'zeebe:Script', 'script');
  if (script === undefined) {
    report(context, element.id, messages.missingScript());
    return ['zeebe:Script'];
  }
  const expression = compileExpressionField(context, element.id, script.expression, { nonStatic: true });
  if (script.resultVariable === undefined || script.resultVariable === '') {
    report(context, element.id, messages.missingResultVariable());
  } else if (expression !== undefined && checkTargetPath(context, element.id, script.resultVariable)) {
    node.script = { expression, resultVariable: script.resultVariable };
  }
  return ['zeebe:Script'];
}

/** Zeebe's job-based user task passes assignment, form and schedule to the worker as reserved headers. */
function userTaskHeaders(context: TransformContext, element: BpmnFlowElement): { [key: string]: string } {
  const headers: { [key: string]: string } = {};
  const assignment = optionalExtensionElement<ZeebeAssignmentDefinition>(context, element, 'zeebe:AssignmentDefinition', 'assignmentDefinition');
  const form = optionalExtensionElement<ZeebeFormDefinition>(context, element, 'zeebe:FormDefinition', 'formDefinition');
  const schedule = optionalExtensionElement<ZeebeTaskSchedule>(context, element, 'zeebe:TaskSchedule', 'taskSchedule');
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') headers[`io.camunda.zeebe:${name}`] = value;
  };
  set('assignee', assignment?.assignee);
  set('candidateGroups', listHeader(assignment?.candidateGroups));
  set('candidateUsers', listHeader(assignment?.candidateUsers));
  set('formKey', form?.formKey);
  set('dueDate', schedule?.dueDate);
  set('followUpDate', schedule?.followUpDate);
  for (const [key, value] of Object.entries(transformStaticHeaders(element))) headers[key] = value;
  return headers;
}

/** Zeebe sends candidate lists as a JSON array text. */
function listHeader(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  return JSON.stringify(text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''));
}

function transformStaticHeaders(element: BpmnFlowElement): { [key: string]: string } {
  const headers = extensionElementsOfType<{ $type: string; values?: { key?: string; value?: string }[] }>(element, 'zeebe:TaskHeaders');
  const entries: [string, string][] = [];
  for (const header of headers[0]?.values ?? []) if (header.key) entries.push([header.key, header.value ?? '']);
  return Object.fromEntries(entries);
}

/** The process a node belongs to. */
export function processOf(node: ExecutableFlowNode): ExecutableProcess {
  let scope = node;
  while (scope.flowScope !== undefined) scope = scope.flowScope;
  return scope as ExecutableProcess;
}
