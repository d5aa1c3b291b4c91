import type { YamlProcess, YamlStep } from './yaml-definition.js';

/** The BPMN text of a YAML definition, and where each generated element comes from in the YAML. */
export interface GeneratedBpmn {
  xml: string;
  positionsById: Map<string, { line: number; column: number }>;
}

/** The id of the none start event every YAML process starts at. */
export const YAML_START_EVENT_ID = 'start';

/**
 * Writes a YAML definition as BPMN with Zeebe's extension elements, so that it goes through the very parser,
 * validation and transformation a BPMN resource does and becomes the same executable model.
 */
export function yamlToBpmn(process: YamlProcess): GeneratedBpmn {
  const positionsById = new Map<string, { line: number; column: number }>();
  const elements: string[] = [];
  const messages: string[] = [];
  const flowIds = new Set<string>();
  const flow = (source: string, target: string, line: number, condition?: string): string => {
    let id = `${source}-to-${target}`;
    for (let index = 2; flowIds.has(id); index += 1) id = `${source}-to-${target}-${index}`;
    flowIds.add(id);
    positionsById.set(id, { line, column: 1 });
    const body = condition === undefined ? '' : `<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${escape(asExpression(condition))}</bpmn:conditionExpression>`;
    elements.push(`    <bpmn:sequenceFlow id="${escape(id)}" sourceRef="${escape(source)}" targetRef="${escape(target)}">${body}</bpmn:sequenceFlow>`);
    return id;
  };
  positionsById.set(process.id, { line: process.line, column: 1 });
  positionsById.set(YAML_START_EVENT_ID, { line: process.line, column: 1 });
  elements.push(`    <bpmn:startEvent id="${YAML_START_EVENT_ID}" />`);
  flow(YAML_START_EVENT_ID, process.steps[0].id, process.line);
  process.steps.forEach((step, index) => {
    positionsById.set(step.id, { line: step.line, column: step.column });
    elements.push(stepElement(step, flow));
    if (step.kind === 'message') {
      positionsById.set(messageIdOf(step), { line: step.line, column: step.column });
      messages.push(messageElement(step));
    }
    const next = step.next ?? (step.kind === 'decide' || step.kind === 'end' ? undefined : process.steps[index + 1]?.id);
    if (next !== undefined) flow(step.id, next, step.line);
  });
  const name = process.name === undefined ? '' : ` name="${escape(process.name)}"`;
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="yaml-definitions" targetNamespace="http://bpmn.io/schema/bpmn">',
    ...messages,
    `  <bpmn:process id="${escape(process.id)}"${name} isExecutable="true">`,
    ...elements,
    '  </bpmn:process>',
    '</bpmn:definitions>',
    '',
  ].join('\n');
  return { xml, positionsById };
}

type FlowWriter = (source: string, target: string, line: number, condition?: string) => string;

function stepElement(step: YamlStep, flow: FlowWriter): string {
  const id = `id="${escape(step.id)}"${step.name === undefined ? '' : ` name="${escape(step.name)}"`}`;
  switch (step.kind) {
    case 'service': {
      const retries = step.retries === undefined ? '' : ` retries="${escape(step.retries)}"`;
      const headers = step.headers.length === 0 ? '' : `<zeebe:taskHeaders>${step.headers.map(([key, value]) => `<zeebe:header key="${escape(key)}" value="${escape(value)}" />`).join('')}</zeebe:taskHeaders>`;
      const extensions = `<zeebe:taskDefinition type="${escape(step.value)}"${retries} />${headers}${ioMapping(step)}`;
      return `    <bpmn:serviceTask ${id}><bpmn:extensionElements>${extensions}</bpmn:extensionElements></bpmn:serviceTask>`;
    }
    case 'message':
      return `    <bpmn:intermediateCatchEvent ${id}>${extensionElements(step)}<bpmn:messageEventDefinition messageRef="${escape(messageIdOf(step))}" /></bpmn:intermediateCatchEvent>`;
    case 'timer': {
      const tag = step.timerKind === 'date' ? 'bpmn:timeDate' : 'bpmn:timeDuration';
      const timer = `<bpmn:timerEventDefinition><${tag} xsi:type="bpmn:tFormalExpression">${escape(step.value)}</${tag}></bpmn:timerEventDefinition>`;
      return `    <bpmn:intermediateCatchEvent ${id}>${extensionElements(step)}${timer}</bpmn:intermediateCatchEvent>`;
    }
    case 'decide': {
      let defaultFlow = '';
      for (const branch of step.branches) {
        const flowId = flow(step.id, branch.next, branch.line, branch.when);
        if (branch.when === undefined) defaultFlow = ` default="${escape(flowId)}"`;
      }
      return `    <bpmn:exclusiveGateway ${id}${defaultFlow} />`;
    }
    case 'end':
      return `    <bpmn:endEvent ${id}>${extensionElements(step)}</bpmn:endEvent>`;
  }
}

function messageElement(step: YamlStep): string {
  const subscription = `<zeebe:subscription correlationKey="${escape(step.correlationKey ?? '')}" />`;
  return `  <bpmn:message id="${escape(messageIdOf(step))}" name="${escape(step.value)}"><bpmn:extensionElements>${subscription}</bpmn:extensionElements></bpmn:message>`;
}

function messageIdOf(step: YamlStep): string {
  return `${step.id}-message`;
}

function extensionElements(step: YamlStep): string {
  const mapping = ioMapping(step);
  return mapping === '' ? '' : `<bpmn:extensionElements>${mapping}</bpmn:extensionElements>`;
}

/** Inputs and outputs are written `target: source`, the way a reader thinks of an assignment. */
function ioMapping(step: YamlStep): string {
  if (step.inputs.length === 0 && step.outputs.length === 0) return '';
  const inputs = step.inputs.map(([target, source]) => `<zeebe:input source="${escape(asExpression(source))}" target="${escape(target)}" />`);
  const outputs = step.outputs.map(([target, source]) => `<zeebe:output source="${escape(asExpression(source))}" target="${escape(target)}" />`);
  return `<zeebe:ioMapping>${inputs.join('')}${outputs.join('')}</zeebe:ioMapping>`;
}

/** Conditions and mapping sources are FEEL; YAML may leave out Zeebe's leading '='. */
function asExpression(text: string): string {
  return text.startsWith('=') ? text : `=${text}`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
