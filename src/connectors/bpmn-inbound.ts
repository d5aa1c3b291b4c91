import { readDefinitions } from '../bpmn/moddle-reader.js';
import type { BpmnBaseElement, BpmnFlowElement, BpmnProcess, ModdleElement } from '../bpmn/moddle-elements.js';
import { decodeXml } from '../bpmn/xml-text.js';
import { validateInbound, type ConfigProblem, type InboundConnectorConfig } from './connectors-config.js';

/**
 * BPMN-declared inbound connectors: a message start event, intermediate catch event or boundary event whose
 * zeebe:properties name a Kafka topic (`kafka.topic`) gets a publish-message connector for its message, configured
 * by the other `kafka.*` properties (the inbound fields of the connectors file, without `kafka.`).
 */

export const BPMN_PROPERTY_PREFIX = 'kafka.';
/** The properties a message event may carry, as inbound fields (a property `kafka.<field>`). */
const DECLARABLE_FIELDS = ['topic', 'groupId', 'format', 'fromBeginning', 'correlationKey', 'messageId', 'timeToLive', 'variables', 'activationCondition', 'deadLetterTopic'];
const MESSAGE_EVENTS = new Set(['bpmn:StartEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent']);
/** Start events need no correlation key from the user: each record is its own (so each one may start an instance). */
const START_EVENT_CORRELATION_KEY = '=topic + "-" + string(partition) + "-" + string(offset)';

export interface DeclaredConnector {
  config: InboundConnectorConfig;
  /** The declaration as written: equal signatures declare the same connector (no need to restart it). */
  signature: string;
}

export interface DeclaredInbound {
  connectors: DeclaredConnector[];
  /** Declarations that cannot run (a missing correlation key, bad FEEL), each with the element it is on. */
  problems: ConfigProblem[];
}

/** The connectors a BPMN resource declares for a process. Connector names are `bpmn:<processId>:<elementId>`. */
export function declaredInboundConnectors(resource: string | Uint8Array, bpmnProcessId: string): DeclaredInbound {
  const decoded = decodeXml(resource);
  if ('problem' in decoded) return { connectors: [], problems: [{ path: bpmnProcessId, message: decoded.problem.message }] };
  const definitions = readDefinitions(decoded.text).definitions;
  const process = definitions?.rootElements?.find((element): element is BpmnProcess => element.$type === 'bpmn:Process' && element.id === bpmnProcessId);
  const declared: DeclaredInbound = { connectors: [], problems: [] };
  for (const element of flowElementsOf(process)) {
    const properties = kafkaProperties(element);
    if (properties.topic === undefined || !MESSAGE_EVENTS.has(element.$type)) continue;
    const definition = element.eventDefinitions?.find((candidate) => candidate.$type === 'bpmn:MessageEventDefinition') as { messageRef?: ModdleElement } | undefined;
    if (definition === undefined) continue;
    const name = `bpmn:${bpmnProcessId}:${element.id ?? ''}`;
    const raw: { [field: string]: unknown } = {
      groupId: `tributary-bpmn-${bpmnProcessId}-${element.id ?? ''}`,
      ...(element.$type === 'bpmn:StartEvent' ? { correlationKey: START_EVENT_CORRELATION_KEY } : {}),
      ...properties,
      name,
      action: 'publish-message',
      messageName: definition.messageRef?.name,
    };
    const connector = validateInbound(raw, `${bpmnProcessId}.${element.id ?? ''}`, declared.problems);
    if (connector !== undefined && !declared.problems.some((problem) => problem.path.startsWith(`${bpmnProcessId}.${element.id ?? ''}.`))) {
      declared.connectors.push({ config: connector, signature: JSON.stringify(raw) });
    }
  }
  return declared;
}

/** Every flow element of the process, inside subprocesses too. */
function flowElementsOf(container: { flowElements?: BpmnFlowElement[] } | undefined): BpmnFlowElement[] {
  return (container?.flowElements ?? []).flatMap((element) => [element, ...flowElementsOf(element)]);
}

/** The element's `kafka.*` zeebe:properties as inbound fields; `true`/`false` become booleans. */
function kafkaProperties(element: BpmnBaseElement): { [field: string]: unknown } {
  const fields: { [field: string]: unknown } = {};
  for (const extension of element.extensionElements?.values ?? []) {
    if (extension.$type !== 'zeebe:Properties') continue;
    for (const property of (extension as { properties?: { name?: string; value?: string }[] }).properties ?? []) {
      const field = property.name?.startsWith(BPMN_PROPERTY_PREFIX) ? property.name.slice(BPMN_PROPERTY_PREFIX.length) : undefined;
      if (field === undefined || !DECLARABLE_FIELDS.includes(field) || property.value === undefined) continue;
      fields[field] = property.value === 'true' ? true : property.value === 'false' ? false : property.value;
    }
  }
  return fields;
}
