import { checkTargetPath, compileExpressionField } from './expression-fields.js';
import { compileExpression } from './feel/index.js';
import { optionalExtensionElement } from './extension-elements.js';
import { messages } from './messages.js';
import type { ExecutableFlowNode, JobDefinition, Mapping } from './model.js';
import {
  extensionElementsOfType,
  type BpmnFlowElement,
  type ZeebeIoMapping,
  type ZeebeParameter,
  type ZeebeTaskDefinition,
  type ZeebeTaskHeaders,
} from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';

/** Zeebe's default when zeebe:taskDefinition has no retries attribute. */
const DEFAULT_RETRIES = '3';
/** Header keys with this prefix are Zeebe's own. */
const RESERVED_HEADER_KEY_PREFIX = 'io.camunda.zeebe:';

/** What an input mapping without a source maps. */
const NULL_SOURCE = '=null';

export const SERVICE_TASK_EXTENSIONS = ['zeebe:TaskDefinition', 'zeebe:TaskHeaders', 'zeebe:IoMapping'];

/** Adds what makes a service task run: its job definition (type, retries, headers) and its mappings. */
export function transformServiceTask(context: TransformContext, task: BpmnFlowElement, node: ExecutableFlowNode): void {
  transformJobWorker(context, task, node);
  transformIoMapping(context, task, node);
}

/** The job definition of a job worker element (service, send, business rule, script task, message throw). */
export function transformJobWorker(
  context: TransformContext,
  task: BpmnFlowElement,
  node: ExecutableFlowNode,
  extraHeaders: { [key: string]: string } = {},
): void {
  const type = transformJobDefinition(context, task);
  const headers = transformTaskHeaders(context, task);
  if (type !== undefined) {
    node.job = { ...type, headers: { ...headers, ...extraHeaders } };
  }
}

export function transformIoMapping(context: TransformContext, element: BpmnFlowElement, node: ExecutableFlowNode): void {
  const ioMapping = optionalExtensionElement<ZeebeIoMapping>(context, element, 'zeebe:IoMapping', 'ioMapping');
  node.inputMappings = transformMappings(context, element.id, ioMapping?.inputParameters, false);
  node.outputMappings = transformMappings(context, element.id, ioMapping?.outputParameters, true);
}

/** A job definition with a fixed type (user tasks: Zeebe's job-based user task). */
export function fixedJobDefinition(type: string, headers: { [key: string]: string }): JobDefinition | undefined {
  const compiledType = compileExpression(type);
  const retries = compileExpression(DEFAULT_RETRIES);
  if ('problem' in compiledType || 'problem' in retries) return undefined;
  return { type: compiledType.expression, retries: retries.expression, headers };
}

function transformJobDefinition(
  context: TransformContext,
  task: BpmnFlowElement,
): Omit<JobDefinition, 'headers'> | undefined {
  const definitions = extensionElementsOfType<ZeebeTaskDefinition>(task, 'zeebe:TaskDefinition');
  if (definitions.length !== 1) {
    report(context, task.id, messages.exactlyOneExtensionElement('taskDefinition'));
    return undefined;
  }
  const [definition] = definitions;
  // Zeebe's messages for these attributes name the attribute, not the expression.
  const typeText = nonEmptyAttribute(context, task.id, 'type', definition.type);
  const retriesText = nonEmptyAttribute(context, task.id, 'retries', definition.retries ?? DEFAULT_RETRIES);
  const type = typeText === undefined ? undefined : compileExpressionField(context, task.id, typeText);
  const retries =
    retriesText === undefined
      ? undefined
      : compileExpressionField(context, task.id, retriesText, { staticInteger: true });
  return type !== undefined && retries !== undefined ? { type, retries } : undefined;
}

function nonEmptyAttribute(
  context: TransformContext,
  elementId: string | undefined,
  name: string,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === '') {
    report(context, elementId, messages.missingAttribute(name));
    return undefined;
  }
  return value;
}

function transformTaskHeaders(context: TransformContext, task: BpmnFlowElement): { [key: string]: string } {
  const taskHeaders = optionalExtensionElement<ZeebeTaskHeaders>(context, task, 'zeebe:TaskHeaders', 'taskHeaders');
  const entries: [string, string][] = [];
  const keys = new Set<string>();
  const reportedDuplicates = new Set<string>();
  for (const header of taskHeaders?.values ?? []) {
    if (header.key === undefined || header.key === '') {
      report(context, task.id, messages.missingAttribute('key'));
      continue;
    }
    if (header.key.startsWith(RESERVED_HEADER_KEY_PREFIX)) {
      report(context, task.id, messages.reservedHeaderKey(header.key, RESERVED_HEADER_KEY_PREFIX));
    }
    if (keys.has(header.key) && !reportedDuplicates.has(header.key)) {
      report(context, task.id, messages.duplicateHeaderKey(header.key));
      reportedDuplicates.add(header.key);
    }
    keys.add(header.key);
    entries.push([header.key, header.value ?? '']);
  }
  // fromEntries defines own properties, so a key such as '__proto__' stays an ordinary header.
  return Object.fromEntries(entries);
}

/**
 * As in Zeebe: input sources may be static values, and an input without a source maps null (element templates
 * write these); output sources must be FEEL.
 */
export function transformMappings(
  context: TransformContext,
  elementId: string | undefined,
  parameters: readonly ZeebeParameter[] | undefined,
  isOutput: boolean,
): Mapping[] {
  const mappings: Mapping[] = [];
  for (const parameter of parameters ?? []) {
    const hasSource = parameter.source !== undefined && parameter.source !== '';
    const sourceText = isOutput || hasSource ? parameter.source : NULL_SOURCE;
    const source = compileExpressionField(context, elementId, sourceText, { nonStatic: isOutput });
    const validTarget = checkTargetPath(context, elementId, parameter.target);
    if (source !== undefined && validTarget && parameter.target !== undefined) {
      mappings.push({ source, target: parameter.target });
    }
  }
  return mappings;
}
