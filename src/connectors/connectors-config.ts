import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { compileExpression } from '../bpmn/feel/index.js';
import type { Expression } from '../bpmn/model.js';
import { parseDuration } from '../bpmn/timer.js';

/**
 * The connectors file (`tributary connect --connectors FILE`): which Kafka to read from and what each inbound
 * connector does with the records of its topic. Validating turns the raw document into a typed configuration with
 * compiled FEEL, or into every problem found, each with its path (`inbound[1].correlationKey`).
 */

export type RecordFormat = 'json' | 'string';
export type InboundAction = 'create-instance' | 'publish-message';

export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
}

export interface InboundConnectorConfig {
  name: string;
  topic: string;
  groupId: string;
  format: RecordFormat;
  /** Read a topic from its first record when the group has no committed offset yet (otherwise only new ones). */
  fromBeginning: boolean;
  action: InboundAction;
  /** create-instance: the process to start (its latest version). */
  bpmnProcessId?: string;
  /** publish-message: the message name, correlation key, id and time to live. */
  messageName?: string;
  correlationKey?: Expression;
  /** When absent, the message id is `topic-partition-offset`, so a replayed record never publishes twice. */
  messageId?: Expression;
  timeToLiveMs: number;
  variables?: Expression;
  activationCondition?: Expression;
  deadLetterTopic?: string;
}

export interface ConnectorsConfig {
  kafka: KafkaConnectionConfig;
  inbound: InboundConnectorConfig[];
}

export interface ConfigProblem {
  /** Where in the file: `kafka.brokers[0]`, `inbound[2].action`. */
  path: string;
  message: string;
}

export type ConfigValidation = { ok: true; config: ConnectorsConfig } | { ok: false; problems: ConfigProblem[] };

export const FORMATS: readonly RecordFormat[] = ['json', 'string'];
export const ACTIONS: readonly InboundAction[] = ['create-instance', 'publish-message'];
export const KAFKA_CLIENT_ID_DEFAULT = 'tributary-connectors';
const INBOUND_FIELDS = new Set([
  'name', 'topic', 'groupId', 'format', 'fromBeginning', 'action', 'bpmnProcessId', 'messageName', 'correlationKey',
  'messageId', 'timeToLive', 'variables', 'activationCondition', 'deadLetterTopic',
]);
const BROKER_ADDRESS = /^[^\s:]+:\d{1,5}$/;

/** Reads and validates a connectors file. JSON only for now: the `yaml` package is not a dependency yet. */
export function loadConnectorsConfig(file: string): ConfigValidation {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') {
    return { ok: false, problems: [{ path: '', message: `Expected a JSON connectors file, but '${file}' is YAML, which is not supported yet: write the same document as JSON` }] };
  }
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `Expected '${file}' to be a readable JSON document, but ${(error as Error).message}` }] };
  }
  return validateConnectorsConfig(document);
}

export function validateConnectorsConfig(document: unknown): ConfigValidation {
  const problems: ConfigProblem[] = [];
  if (!isObject(document)) {
    return { ok: false, problems: [{ path: '', message: 'Expected the connectors file to be an object with kafka and inbound' }] };
  }
  const kafka = validateKafka(document.kafka, problems);
  const inbound: InboundConnectorConfig[] = [];
  if (!Array.isArray(document.inbound) || document.inbound.length === 0) {
    problems.push({ path: 'inbound', message: 'Expected a non-empty list of inbound connectors' });
  } else {
    document.inbound.forEach((entry: unknown, index: number) => {
      const connector = validateInbound(entry, `inbound[${index}]`, problems);
      if (connector !== undefined) inbound.push(connector);
    });
    checkUnique(inbound.map((connector) => connector.name), 'name', problems);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: { kafka, inbound } };
}

function validateKafka(value: unknown, problems: ConfigProblem[]): KafkaConnectionConfig {
  const kafka: KafkaConnectionConfig = { brokers: [], clientId: KAFKA_CLIENT_ID_DEFAULT };
  if (!isObject(value)) {
    problems.push({ path: 'kafka', message: 'Expected an object with brokers' });
    return kafka;
  }
  if (!Array.isArray(value.brokers) || value.brokers.length === 0) {
    problems.push({ path: 'kafka.brokers', message: 'Expected a non-empty list of host:port addresses' });
  } else {
    value.brokers.forEach((broker: unknown, index: number) => {
      if (typeof broker === 'string' && BROKER_ADDRESS.test(broker)) kafka.brokers.push(broker);
      else problems.push({ path: `kafka.brokers[${index}]`, message: `Expected a host:port address, but found ${JSON.stringify(broker)}` });
    });
  }
  if (value.clientId !== undefined) kafka.clientId = requireText(value.clientId, 'kafka.clientId', problems) ?? kafka.clientId;
  return kafka;
}

function validateInbound(value: unknown, path: string, problems: ConfigProblem[]): InboundConnectorConfig | undefined {
  if (!isObject(value)) {
    problems.push({ path, message: 'Expected an object describing an inbound connector' });
    return undefined;
  }
  for (const field of Object.keys(value)) {
    if (!INBOUND_FIELDS.has(field)) problems.push({ path: `${path}.${field}`, message: `Unknown field; expected one of ${[...INBOUND_FIELDS].join(', ')}` });
  }
  const name = requireText(value.name, `${path}.name`, problems) ?? '';
  const action = oneOf(value.action, ACTIONS, `${path}.action`, problems, undefined);
  const connector: InboundConnectorConfig = {
    name,
    topic: requireText(value.topic, `${path}.topic`, problems) ?? '',
    groupId: optionalText(value.groupId, `${path}.groupId`, problems) ?? `tributary-${name}`,
    format: oneOf(value.format, FORMATS, `${path}.format`, problems, 'json') ?? 'json',
    fromBeginning: optionalBoolean(value.fromBeginning, `${path}.fromBeginning`, problems) ?? true,
    action: action ?? 'create-instance',
    timeToLiveMs: 0,
    variables: optionalExpression(value.variables, `${path}.variables`, problems),
    activationCondition: optionalExpression(value.activationCondition, `${path}.activationCondition`, problems),
    deadLetterTopic: optionalText(value.deadLetterTopic, `${path}.deadLetterTopic`, problems),
  };
  if (action === 'create-instance') {
    connector.bpmnProcessId = requireText(value.bpmnProcessId, `${path}.bpmnProcessId`, problems);
    for (const field of ['messageName', 'correlationKey', 'messageId', 'timeToLive']) {
      if (value[field] !== undefined) problems.push({ path: `${path}.${field}`, message: 'Only publish-message connectors take this field' });
    }
  } else if (action === 'publish-message') {
    connector.messageName = requireText(value.messageName, `${path}.messageName`, problems);
    connector.correlationKey = requireExpression(value.correlationKey, `${path}.correlationKey`, problems);
    connector.messageId = optionalExpression(value.messageId, `${path}.messageId`, problems);
    connector.timeToLiveMs = timeToLive(value.timeToLive, `${path}.timeToLive`, problems);
    if (value.bpmnProcessId !== undefined) problems.push({ path: `${path}.bpmnProcessId`, message: 'Only create-instance connectors take this field' });
  }
  return connector;
}

function timeToLive(value: unknown, path: string, problems: ConfigProblem[]): number {
  if (value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const duration = parseDuration(value);
    if (duration.ok && duration.value.years === 0 && duration.value.months === 0 && duration.value.milliseconds >= 0) return duration.value.milliseconds;
  }
  problems.push({ path, message: `Expected an ISO 8601 duration without years or months (e.g. 'PT1H') or milliseconds, but found ${JSON.stringify(value)}` });
  return 0;
}

function checkUnique(names: string[], field: string, problems: ConfigProblem[]): void {
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name === '') return;
    const first = seen.get(name);
    if (first !== undefined) problems.push({ path: `inbound[${index}].${field}`, message: `Expected a unique ${field}, but '${name}' is also used by inbound[${first}]` });
    else seen.set(name, index);
  });
}

function requireText(value: unknown, path: string, problems: ConfigProblem[]): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  problems.push({ path, message: value === undefined ? 'Required' : `Expected a non-empty string, but found ${JSON.stringify(value)}` });
  return undefined;
}

function optionalText(value: unknown, path: string, problems: ConfigProblem[]): string | undefined {
  return value === undefined ? undefined : requireText(value, path, problems);
}

function optionalBoolean(value: unknown, path: string, problems: ConfigProblem[]): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  problems.push({ path, message: `Expected true or false, but found ${JSON.stringify(value)}` });
  return undefined;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string, problems: ConfigProblem[], fallback: T | undefined): T | undefined {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push({ path, message: value === undefined ? `Required: one of ${allowed.join(', ')}` : `Expected one of ${allowed.join(', ')}, but found ${JSON.stringify(value)}` });
  return undefined;
}

function requireExpression(value: unknown, path: string, problems: ConfigProblem[]): Expression | undefined {
  const text = requireText(value, path, problems);
  if (text === undefined) return undefined;
  const compiled = compileExpression(text);
  if ('problem' in compiled) {
    problems.push({ path, message: `Invalid FEEL expression: ${compiled.problem}` });
    return undefined;
  }
  return compiled.expression;
}

function optionalExpression(value: unknown, path: string, problems: ConfigProblem[]): Expression | undefined {
  return value === undefined ? undefined : requireExpression(value, path, problems);
}

function isObject(value: unknown): value is { [field: string]: any } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
