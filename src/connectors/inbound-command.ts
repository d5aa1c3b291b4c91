import { evaluateCondition, evaluateString } from '../bpmn/feel/index.js';
import { toJsonValue } from '../bpmn/feel/json-value.js';
import type { Expression, VariableLookup } from '../bpmn/model.js';
import type { InboundConnectorConfig } from './connectors-config.js';
import type { InboundKafkaRecord } from './kafka-consumer.js';

/**
 * Turns one Kafka record into the gateway command its connector sends, as a pure function: decode the value,
 * check the activation condition, evaluate the FEEL fields over {key, value, headers, topic, partition, offset,
 * timestamp}. Expected problems (a malformed value, a failing expression) are values with a reason, which the
 * connector writes to the dead-letter topic.
 */

export interface CreateInstanceCommand {
  kind: 'create-instance';
  bpmnProcessId: string;
  /** Variables as JSON object text, as the gateway takes them. */
  variables: string;
  /**
   * The record's place in Kafka and the process: the engine starts one instance per key within its idempotency
   * window, so a record replayed after a crash does not start a second one.
   */
  idempotencyKey: string;
}

export interface PublishMessageCommand {
  kind: 'publish-message';
  name: string;
  correlationKey: string;
  messageId: string;
  timeToLiveMs: number;
  variables: string;
}

export type InboundCommand = CreateInstanceCommand | PublishMessageCommand;

/** Why a record became no command: `skipped` when its activation condition is false, `rejected` when it is unusable. */
export type RecordOutcome =
  | { kind: 'command'; command: InboundCommand }
  | { kind: 'skipped'; reason: string }
  | { kind: 'rejected'; reason: string };

/**
 * The command for a record. `decodedValue` is the value when it was decoded beforehand (Avro, which needs the
 * schema registry); otherwise the value is decoded here by the connector's format.
 */
export function commandForRecord(connector: InboundConnectorConfig, record: InboundKafkaRecord, decodedValue?: { value: unknown }): RecordOutcome {
  const decoded = decodedValue === undefined ? decodeValue(connector, record) : { ok: true as const, value: decodedValue.value };
  if (!decoded.ok) return { kind: 'rejected', reason: decoded.reason };
  const context: { [name: string]: unknown } = {
    key: record.key?.toString('utf8') ?? null,
    value: decoded.value,
    headers: record.headers,
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: record.timestampMs,
  };
  const lookup: VariableLookup = (name) => context[name];
  if (connector.activationCondition !== undefined) {
    const condition = evaluateCondition(connector.activationCondition, lookup);
    if (!condition.ok) return { kind: 'rejected', reason: `activationCondition failed: ${condition.message}` };
    if (!condition.value) return { kind: 'skipped', reason: 'activationCondition is false' };
  }
  const variables = variablesText(connector.variables, lookup);
  if (!variables.ok) return { kind: 'rejected', reason: variables.reason };
  if (connector.action === 'create-instance') {
    const bpmnProcessId = connector.bpmnProcessId ?? '';
    return { kind: 'command', command: { kind: 'create-instance', bpmnProcessId, variables: variables.value, idempotencyKey: idempotencyKeyOf(record, bpmnProcessId) } };
  }
  const correlationKey = correlationKeyOf(connector.correlationKey, lookup);
  if (!correlationKey.ok) return { kind: 'rejected', reason: correlationKey.reason };
  let messageId = defaultMessageId(record);
  if (connector.messageId !== undefined) {
    const evaluated = evaluateString(connector.messageId, lookup);
    if (!evaluated.ok) return { kind: 'rejected', reason: `messageId failed: ${evaluated.message}` };
    messageId = evaluated.value;
  }
  return {
    kind: 'command',
    command: { kind: 'publish-message', name: connector.messageName ?? '', correlationKey: correlationKey.value, messageId, timeToLiveMs: connector.timeToLiveMs, variables: variables.value },
  };
}

/** The message id a record gets when the connector names none: the record's place in Kafka, unique and stable. */
export function defaultMessageId(record: InboundKafkaRecord): string {
  return `${record.topic}-${record.partition}-${record.offset}`;
}

/** The idempotency key of a create-instance command: `topic-partition-offset:bpmnProcessId`. */
export function idempotencyKeyOf(record: InboundKafkaRecord, bpmnProcessId: string): string {
  return `${defaultMessageId(record)}:${bpmnProcessId}`;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function decodeValue(connector: InboundConnectorConfig, record: InboundKafkaRecord): Parsed<unknown> {
  if (record.value === null) return { ok: true, value: null };
  const text = record.value.toString('utf8');
  if (connector.format === 'string') return { ok: true, value: text };
  if (connector.format === 'avro') return { ok: false, reason: 'Expected the Avro value to be decoded through the schema registry first' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: `Expected the record value to be JSON, but ${(error as Error).message}` };
  }
}

function variablesText(expression: Expression | undefined, lookup: VariableLookup): Parsed<string> {
  if (expression === undefined) return { ok: true, value: '{}' };
  const result = expression.evaluate(lookup);
  if (!result.ok) return { ok: false, reason: `variables failed: ${result.message}` };
  const json = toJsonValue(result.value);
  if (!json.ok) return { ok: false, reason: `variables failed: ${json.reason}` };
  if (json.value === null) return { ok: true, value: '{}' };
  if (typeof json.value !== 'object' || Array.isArray(json.value)) {
    return { ok: false, reason: `Expected variables to give a context (JSON object), but it gave ${JSON.stringify(json.value)}` };
  }
  return { ok: true, value: JSON.stringify(json.value) };
}

function correlationKeyOf(expression: Expression | undefined, lookup: VariableLookup): Parsed<string> {
  if (expression === undefined) return { ok: false, reason: 'No correlationKey configured' };
  const result = expression.evaluate(lookup);
  if (!result.ok) return { ok: false, reason: `correlationKey failed: ${result.message}` };
  if (typeof result.value === 'string') return { ok: true, value: result.value };
  if (typeof result.value === 'number' && Number.isFinite(result.value)) return { ok: true, value: String(result.value) };
  return { ok: false, reason: `Expected correlationKey to give a string or a number, but it gave ${JSON.stringify(result.value ?? null)}` };
}
