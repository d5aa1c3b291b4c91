import { messages } from './messages.js';
import type { ExecutableFlowNode, ExecutableProcess } from './model.js';
import type { BpmnFlowElement } from './moddle-elements.js';
import { report, type TransformContext } from './transform-context.js';

/**
 * Checks what needs the connected process: events' flows, and exclusive and inclusive gateways' conditions and
 * default flows. Sets each such gateway's default flow.
 */
export function checkFlowNodes(
  context: TransformContext,
  process: ExecutableProcess,
  flowElements: readonly BpmnFlowElement[],
): void {
  const ids = new Set(flowElements.map((element) => element.id));
  for (const node of process.elements.values()) {
    if (!ids.has(node.id)) continue;
    if (node.bpmnElementType === 'BOUNDARY_EVENT' && node.incoming.length > 0) {
      report(context, node.id, messages.boundaryWithIncoming());
    }
    if (node.bpmnElementType === 'EVENT_BASED_GATEWAY') checkEventBasedGateway(context, node);
    if (node.bpmnElementType === 'START_EVENT' && node.incoming.length > 0) {
      report(context, node.id, messages.startEventWithIncoming());
    }
    if (node.bpmnElementType === 'END_EVENT' && node.outgoing.length > 0) {
      report(context, node.id, messages.endEventWithOutgoing());
    }
  }
  for (const gateway of flowElements.filter((element) => element.$type === 'bpmn:ExclusiveGateway' || element.$type === 'bpmn:InclusiveGateway')) {
    checkExclusiveGateway(context, process, gateway, flowElements);
  }
}

function checkEventBasedGateway(context: TransformContext, gateway: ExecutableFlowNode): void {
  if (gateway.outgoing.length < 2) report(context, gateway.id, messages.eventBasedGatewayTooFewFlows());
  for (const flow of gateway.outgoing) {
    const target = flow.target;
    const isCatchEvent = target.bpmnElementType === 'INTERMEDIATE_CATCH_EVENT' && ['MESSAGE', 'TIMER', 'SIGNAL'].includes(target.bpmnEventType);
    if (!isCatchEvent) report(context, gateway.id, messages.eventBasedGatewayTarget(target.id));
  }
}

/**
 * Reads the flows as written rather than the executable ones, so that a flow left out for another problem (an
 * invalid condition, an unsupported target) still counts and no problem hides another.
 */
function checkExclusiveGateway(
  context: TransformContext,
  process: ExecutableProcess,
  gateway: BpmnFlowElement,
  flowElements: readonly BpmnFlowElement[],
): void {
  const node = process.elements.get(gateway.id ?? '');
  if (node === undefined) {
    return;
  }
  const outgoing = flowElements.filter(
    (element) => element.$type === 'bpmn:SequenceFlow' && element.sourceRef === gateway,
  );
  if (gateway.default !== undefined && !outgoing.includes(gateway.default)) {
    report(context, node.id, messages.defaultFlowNotOutgoing());
  } else if (gateway.default !== undefined) {
    node.defaultFlow = process.sequenceFlows.get(gateway.default.id ?? '');
  }
  // As in Zeebe, a gateway with a single outgoing flow may leave it without a condition: it is always taken.
  if (outgoing.length < 2) {
    return;
  }
  for (const flow of outgoing) {
    if (flow !== gateway.default && flow.conditionExpression === undefined) {
      report(context, flow.id, messages.missingCondition(node.id));
    }
  }
}
