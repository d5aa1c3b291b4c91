import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { compileExpression } from '../bpmn/feel/index.js';
import type { Expression } from '../bpmn/model.js';
import { parseDuration } from '../bpmn/timer.js';

/**
 * The connectors file (`tributary connect --connectors FILE`): which Kafka to read from and what each inbound
 * connector does with the records of its topic. Validating turns the raw document into a typed configuration with
 * compiled FEEL, or into every problem found, each with its path (`inbound[1].correlationKey`).
 */

export type RecordFormat = 'json' | 'string' | 'avro';
export type InboundAction = 'create-instance' | 'publish-message';

export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
  /**
   * How long a consumer group waits for a silent member before handing its partitions to another; after a crash
   * the restarted connectors wait this long for their partitions. Kafka bounds it (6 s to 30 min by default).
   */
  sessionTimeoutMs: number;
  /** A Confluent-compatible schema registry (the broker's own or another) that `format: avro` decodes through. */
  schemaRegistryUrl?: string;
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

/** The built-in job worker that produces records for service tasks of type `io.tributary:kafka-publish:1`. */
export interface OutboundConnectorConfig {
  enabled: boolean;
  jobType: string;
  /** Jobs activated per request; also the bound on records in flight. */
  maxJobsToActivate: number;
  /** How long an activated job is reserved for this worker before the engine hands it to another. */
  jobTimeoutMs: number;
}

/** Inbound connectors declared in BPMN (zeebe:properties on message events), learnt from the exported processes. */
export interface BpmnInboundConfig {
  /** The topic the broker's Kafka exporter (JSON format) mirrors PROCESS records to: `<prefix>-process`. */
  processTopic: string;
}

export interface ConnectorsConfig {
  kafka: KafkaConnectionConfig;
  inbound: InboundConnectorConfig[];
  outbound: OutboundConnectorConfig;
  bpmn?: BpmnInboundConfig;
}

export interface ConfigProblem {
  /** Where in the file: `kafka.brokers[0]`, `inbound[2].action`. */
  path: string;
  message: string;
}

export type ConfigValidation = { ok: true; config: ConnectorsConfig } | { ok: false; problems: ConfigProblem[] };

export const FORMATS: readonly RecordFormat[] = ['json', 'string', 'avro'];
export const ACTIONS: readonly InboundAction[] = ['create-instance', 'publish-message'];
export const KAFKA_CLIENT_ID_DEFAULT = 'tributary-connectors';
export const OUTBOUND_JOB_TYPE = 'io.tributary:kafka-publish:1';
export const OUTBOUND_DEFAULTS: OutboundConnectorConfig = { enabled: true, jobType: OUTBOUND_JOB_TYPE, maxJobsToActivate: 32, jobTimeoutMs: 60_000 };
export const SESSION_TIMEOUT_DEFAULT_MS = 30_000;
const KAFKA_FIELDS = new Set(['brokers', 'clientId', 'sessionTimeout', 'schemaRegistryUrl']);
const HTTP_URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const TOP_LEVEL_FIELDS = new Set(['kafka', 'inbound', 'outbound', 'bpmn']);
const OUTBOUND_FIELDS = new Set(['enabled', 'jobType', 'maxJobsToActivate', 'jobTimeout']);
const INBOUND_FIELDS = new Set([
  'name', 'topic', 'groupId', 'format', 'fromBeginning', 'action', 'bpmnProcessId', 'messageName', 'correlationKey',
  'messageId', 'timeToLive', 'variables', 'activationCondition', 'deadLetterTopic',
]);
const BROKER_ADDRESS = /^[^\s:]+:\d{1,5}$/;

/**
 * Reads and validates a connectors file: YAML (`.yaml`, `.yml`, or any other name) or JSON (`.json`). A document
 * that does not parse is reported with its line and column.
 */
export function loadConnectorsConfig(file: string): ConfigValidation {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `Expected '${file}' to be readable, but ${(error as Error).message}` }] };
  }
  if (extname(file).toLowerCase() === '.json') {
    try {
      return validateConnectorsConfig(JSON.parse(text));
    } catch (error) {
      return { ok: false, problems: [{ path: '', message: `Expected '${file}' to be a readable JSON document, but ${(error as Error).message}` }] };
    }
  }
  return validateConnectorsConfig(...parseYaml(file, text));
}

/** The YAML document as plain data, or the syntax problems (all of them, each with its line and column). */
function parseYaml(file: string, text: string): [unknown, ConfigProblem[]] {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const at = error.linePos?.[0];
      const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
      const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { path: '', message: `Expected '${file}' to be a YAML document, but${where}: ${reason}` };
    });
    return [undefined, problems];
  }
  return [document.toJS({ maxAliasCount: 100 }), []];
}

export function validateConnectorsConfig(document: unknown, syntaxProblems: ConfigProblem[] = []): ConfigValidation {
  if (syntaxProblems.length > 0) return { ok: false, problems: syntaxProblems };
  const problems: ConfigProblem[] = [];
  if (!isObject(document)) {
    return { ok: false, problems: [{ path: '', message: 'Expected the connectors file to be an object with kafka and inbound' }] };
  }
  for (const field of Object.keys(document)) {
    if (!TOP_LEVEL_FIELDS.has(field)) problems.push({ path: field, message: `Unknown field; expected one of ${[...TOP_LEVEL_FIELDS].join(', ')}` });
  }
  const kafka = validateKafka(document.kafka, problems);
  const outbound = validateOutbound(document.outbound, problems);
  const bpmn = validateBpmn(document.bpmn, problems);
  const inbound: InboundConnectorConfig[] = [];
  if (document.inbound === undefined && (document.outbound !== undefined || document.bpmn !== undefined)) {
    // A file may configure only the outbound connector or only BPMN-declared connectors.
  } else if (!Array.isArray(document.inbound) || document.inbound.length === 0) {
    problems.push({ path: 'inbound', message: 'Expected a non-empty list of inbound connectors (leave it out when the file configures only outbound)' });
  } else {
    document.inbound.forEach((entry: unknown, index: number) => {
      const connector = validateInbound(entry, `inbound[${index}]`, problems);
      if (connector !== undefined) inbound.push(connector);
      if (connector?.format === 'avro' && kafka.schemaRegistryUrl === undefined && isObject(document.kafka) && document.kafka.schemaRegistryUrl === undefined) {
        problems.push({ path: `inbound[${index}].format`, message: 'Expected kafka.schemaRegistryUrl to be set: format avro decodes through a schema registry' });
      }
    });
    checkUnique(inbound.map((connector) => connector.name), 'name', problems);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config: { kafka, inbound, outbound, ...(bpmn === undefined ? {} : { bpmn }) } };
}

function validateBpmn(value: unknown, problems: ConfigProblem[]): BpmnInboundConfig | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    problems.push({ path: 'bpmn', message: 'Expected an object with processTopic' });
    return undefined;
  }
  for (const field of Object.keys(value)) {
    if (field !== 'processTopic') problems.push({ path: `bpmn.${field}`, message: 'Unknown field; expected processTopic' });
  }
  const processTopic = requireText(value.processTopic, 'bpmn.processTopic', problems);
  return processTopic === undefined ? undefined : { processTopic };
}

function validateOutbound(value: unknown, problems: ConfigProblem[]): OutboundConnectorConfig {
  const outbound = { ...OUTBOUND_DEFAULTS };
  if (value === undefined) return outbound;
  if (typeof value === 'boolean') return { ...outbound, enabled: value };
  if (!isObject(value)) {
    problems.push({ path: 'outbound', message: `Expected true, false or an object with ${[...OUTBOUND_FIELDS].join(', ')}` });
    return outbound;
  }
  for (const field of Object.keys(value)) {
    if (!OUTBOUND_FIELDS.has(field)) problems.push({ path: `outbound.${field}`, message: `Unknown field; expected one of ${[...OUTBOUND_FIELDS].join(', ')}` });
  }
  outbound.enabled = optionalBoolean(value.enabled, 'outbound.enabled', problems) ?? true;
  outbound.jobType = optionalText(value.jobType, 'outbound.jobType', problems) ?? OUTBOUND_JOB_TYPE;
  if (value.maxJobsToActivate !== undefined) {
    const max = value.maxJobsToActivate;
    if (typeof max === 'number' && Number.isInteger(max) && max > 0 && max <= 1000) outbound.maxJobsToActivate = max;
    else problems.push({ path: 'outbound.maxJobsToActivate', message: `Expected a whole number from 1 to 1000, but found ${JSON.stringify(max)}` });
  }
  if (value.jobTimeout !== undefined) outbound.jobTimeoutMs = duration(value.jobTimeout, 'outbound.jobTimeout', problems, OUTBOUND_DEFAULTS.jobTimeoutMs);
  return outbound;
}

function validateKafka(value: unknown, problems: ConfigProblem[]): KafkaConnectionConfig {
  const kafka: KafkaConnectionConfig = { brokers: [], clientId: KAFKA_CLIENT_ID_DEFAULT, sessionTimeoutMs: SESSION_TIMEOUT_DEFAULT_MS };
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
  if (value.schemaRegistryUrl !== undefined) {
    if (typeof value.schemaRegistryUrl === 'string' && HTTP_URL.test(value.schemaRegistryUrl)) kafka.schemaRegistryUrl = value.schemaRegistryUrl;
    else problems.push({ path: 'kafka.schemaRegistryUrl', message: `Expected an http(s) URL such as http://127.0.0.1:8081, but found ${JSON.stringify(value.schemaRegistryUrl)}` });
  }
  if (value.sessionTimeout !== undefined) kafka.sessionTimeoutMs = duration(value.sessionTimeout, 'kafka.sessionTimeout', problems, SESSION_TIMEOUT_DEFAULT_MS);
  for (const field of Object.keys(value)) {
    if (!KAFKA_FIELDS.has(field)) problems.push({ path: `kafka.${field}`, message: `Unknown field; expected one of ${[...KAFKA_FIELDS].join(', ')}` });
  }
  return kafka;
}

export function validateInbound(value: unknown, path: string, problems: ConfigProblem[]): InboundConnectorConfig | undefined {
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
    connector.timeToLiveMs = value.timeToLive === undefined ? 0 : duration(value.timeToLive, `${path}.timeToLive`, problems, 0);
    if (value.bpmnProcessId !== undefined) problems.push({ path: `${path}.bpmnProcessId`, message: 'Only create-instance connectors take this field' });
  }
  return connector;
}

function duration(value: unknown, path: string, problems: ConfigProblem[], fallback: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const duration = parseDuration(value);
    if (duration.ok && duration.value.years === 0 && duration.value.months === 0 && duration.value.milliseconds >= 0) return duration.value.milliseconds;
  }
  problems.push({ path, message: `Expected an ISO 8601 duration without years or months (e.g. 'PT1H') or milliseconds, but found ${JSON.stringify(value)}` });
  return fallback;
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
