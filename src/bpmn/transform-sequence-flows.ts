import { compileExpressionField } from './expression-fields.js';
import { messages } from './messages.js';
import type { ExecutableFlowNode, ExecutableProcess, ExecutableSequenceFlow, Expression } from './model.js';
import type { BpmnFlowElement, BpmnSequenceFlow } from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';

/** Which flow elements of the process were reported as unsupported: flows touching them are skipped silently. */
export interface FlowEndpoints {
  readonly unsupportedIds: ReadonlySet<string>;
}

/**
 * Connects the process's flow nodes with its sequence flows (incoming, outgoing, conditions). sourceRef and
 * targetRef decide the connections; the redundant incoming/outgoing child elements of the XML are not read.
 */
export function transformSequenceFlow(
  context: TransformContext,
  flow: BpmnSequenceFlow,
  process: ExecutableProcess,
  endpoints: FlowEndpoints,
): void {
  const source = resolveEndpoint(context, flow, 'sourceRef', process, endpoints);
  const target = resolveEndpoint(context, flow, 'targetRef', process, endpoints);
  const condition = transformCondition(context, flow, source);
  if (source === undefined || target === undefined || flow.id === undefined) {
    return;
  }
  const executableFlow: ExecutableSequenceFlow = { id: flow.id, source, target };
  if (condition !== undefined) {
    executableFlow.condition = condition;
  }
  source.outgoing.push(executableFlow);
  target.incoming.push(executableFlow);
  process.sequenceFlows.set(flow.id, executableFlow);
}

function resolveEndpoint(
  context: TransformContext,
  flow: BpmnSequenceFlow,
  attribute: 'sourceRef' | 'targetRef',
  process: ExecutableProcess,
  endpoints: FlowEndpoints,
): ExecutableFlowNode | undefined {
  const referenced: BpmnFlowElement | undefined = flow[attribute];
  if (referenced === undefined) {
    if (flow.id === undefined || !context.elementIdsWithUnresolvedReferences.has(flow.id)) {
      report(context, flow.id, messages.missingFlowReference(attribute));
    }
    return undefined;
  }
  const node = referenced.id === undefined ? undefined : process.elements.get(referenced.id);
  if (node === undefined || node === process) {
    if (referenced.id !== undefined && !endpoints.unsupportedIds.has(referenced.id)) {
      report(context, flow.id, messages.flowReferenceOutsideProcess(attribute, referenced.id, process.id));
    }
    return undefined;
  }
  return node;
}

function transformCondition(
  context: TransformContext,
  flow: BpmnSequenceFlow,
  source: ExecutableFlowNode | undefined,
): Expression | undefined {
  if (flow.conditionExpression === undefined) {
    return undefined;
  }
  if (source !== undefined && source.bpmnElementType !== 'EXCLUSIVE_GATEWAY' && source.bpmnElementType !== 'INCLUSIVE_GATEWAY') {
    report(context, source.id, messages.conditionOutsideExclusiveGateway());
    return undefined;
  }
  // The text content of the element, trimmed as Zeebe's model API trims it.
  return compileExpressionField(context, flow.id, flow.conditionExpression.body?.trim(), { nonStatic: true });
}
