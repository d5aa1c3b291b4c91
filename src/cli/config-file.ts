import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { BrokerConfig, KafkaExportConfig } from '../broker/broker-config.js';
import { KAFKA_FORMATS, KAFKA_KEY_FIELDS, KAFKA_TOPIC_PREFIX_DEFAULT, type KafkaFormat, type KafkaKeyField } from '../exporters/index.js';
import { RECORD_TYPES, VALUE_TYPES, type RecordType, type ValueType } from '../protocol/index.js';

/**
 * The broker's configuration file (`tributary broker --config FILE`), YAML or JSON. Its keys mirror the flags; a
 * flag given on the command line wins over the file, the file over the defaults. Documented in docs/configuration.md
 * and docs/kafka.md. To add a section (cluster, connectors, ...), add its spec to BROKER_CONFIG_FILE_SPEC, its type
 * to BrokerConfigFile and its mapping to brokerConfigWithFile.
 */
export interface BrokerConfigFile {
  dataDirectory?: string;
  host?: string;
  nodeId?: number;
  partitions?: number;
  gateway?: { port?: number };
  monitoring?: { port?: number };
  schemaRegistry?: { port?: number };
  snapshotPeriodMs?: number;
  fsync?: boolean;
  allowUnknownCalledProcess?: boolean;
  exporters?: {
    jsonl?: { file?: string; enabled?: boolean };
    kafka?: {
      brokers?: string[];
      topicPrefix?: string;
      format?: KafkaFormat;
      key?: KafkaKeyField;
      filters?: { recordTypes?: RecordType[]; valueTypes?: ValueType[]; processIds?: string[] };
      schemaRegistryUrl?: string;
      enabled?: boolean;
    };
  };
}

export interface ConfigFileProblem {
  /** Where in the document: `exporters.kafka.brokers[1]`; '' for the document as a whole. */
  path: string;
  message: string;
}

export type ConfigFileResult = { ok: true; config: BrokerConfigFile } | { ok: false; problems: ConfigFileProblem[] };

/** What a value in the file must be. A `check` spec validates a section with its own rules (e.g. connectors). */
export type ValueSpec =
  | { kind: 'string'; pattern?: RegExp; patternText?: string }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[]; caseInsensitive?: boolean }
  | { kind: 'list'; of: ValueSpec; nonEmpty?: boolean }
  | { kind: 'object'; fields: { readonly [key: string]: ValueSpec }; required?: readonly string[] }
  | { kind: 'check'; check: (value: unknown, path: string) => ConfigFileProblem[] };

const PORT: ValueSpec = { kind: 'integer', min: 0, max: 65_535 };
const HOST_PORT: ValueSpec = { kind: 'string', pattern: /^[^\s:]+:\d{1,5}$/, patternText: 'host:port' };
const portSection: ValueSpec = { kind: 'object', fields: { port: PORT } };

export const BROKER_CONFIG_FILE_SPEC: { kind: 'object'; fields: { [key: string]: ValueSpec } } = {
  kind: 'object',
  fields: {
    dataDirectory: { kind: 'string' },
    host: { kind: 'string' },
    nodeId: { kind: 'integer', min: 0 },
    partitions: { kind: 'integer', min: 1, max: 8192 },
    gateway: portSection,
    monitoring: portSection,
    schemaRegistry: portSection,
    snapshotPeriodMs: { kind: 'integer', min: 1 },
    fsync: { kind: 'boolean' },
    allowUnknownCalledProcess: { kind: 'boolean' },
    exporters: {
      kind: 'object',
      fields: {
        jsonl: { kind: 'object', fields: { file: { kind: 'string' }, enabled: { kind: 'boolean' } }, required: ['file'] },
        kafka: {
          kind: 'object',
          required: ['brokers'],
          fields: {
            brokers: { kind: 'list', of: HOST_PORT, nonEmpty: true },
            topicPrefix: { kind: 'string', pattern: /^[A-Za-z0-9._-]+$/, patternText: 'letters, digits, ., _ and -' },
            format: { kind: 'enum', values: KAFKA_FORMATS },
            key: { kind: 'enum', values: KAFKA_KEY_FIELDS },
            filters: {
              kind: 'object',
              fields: {
                recordTypes: { kind: 'list', of: { kind: 'enum', values: RECORD_TYPES, caseInsensitive: true } },
                valueTypes: { kind: 'list', of: { kind: 'enum', values: VALUE_TYPES, caseInsensitive: true } },
                processIds: { kind: 'list', of: { kind: 'string' } },
              },
            },
            schemaRegistryUrl: { kind: 'string', pattern: /^https?:\/\/\S+$/, patternText: 'an http:// or https:// URL' },
            enabled: { kind: 'boolean' },
          },
        },
      },
    },
  },
};

/** Reads and checks a configuration file; every problem is reported, each with its path. */
export function loadBrokerConfigFile(file: string, spec: ValueSpec = BROKER_CONFIG_FILE_SPEC): ConfigFileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: `Expected '${file}' to be readable, but ${(error as Error).message}` }] };
  }
  const [document, syntaxProblems] = parseConfigText(file, text);
  if (syntaxProblems.length > 0) return { ok: false, problems: syntaxProblems };
  return validateBrokerConfigFile(document ?? {}, spec);
}

export function validateBrokerConfigFile(document: unknown, spec: ValueSpec = BROKER_CONFIG_FILE_SPEC): ConfigFileResult {
  const problems = checkValue(document, spec, '');
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: normalized(document, spec) as BrokerConfigFile };
}

/** The problems as the command line prints them, one a line. */
export function formatConfigFileProblems(file: string, problems: readonly ConfigFileProblem[]): string {
  const lines = problems.map((problem) => `  ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`);
  return `Error: the configuration file '${file}' has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}

function parseConfigText(file: string, text: string): [unknown, ConfigFileProblem[]] {
  if (extname(file).toLowerCase() === '.json') {
    try {
      return [JSON.parse(text), []];
    } catch (error) {
      return [undefined, [{ path: '', message: `Expected '${file}' to be a JSON document, but ${(error as Error).message}` }]];
    }
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length === 0) return [document.toJS({ maxAliasCount: 100 }), []];
  const problems = document.errors.map((error) => {
    const at = error.linePos?.[0];
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
    const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    return { path: '', message: `Expected '${file}' to be a YAML document, but${where}: ${reason}` };
  });
  return [undefined, problems];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function checkValue(value: unknown, spec: ValueSpec, path: string): ConfigFileProblem[] {
  const problem = (message: string): ConfigFileProblem[] => [{ path, message }];
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string') return problem(`Expected a string, but got ${describe(value)}`);
      if (spec.pattern !== undefined && !spec.pattern.test(value)) return problem(`Expected ${spec.patternText ?? spec.pattern.source}, but got '${value}'`);
      return [];
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return problem(`Expected a whole number, but got ${describe(value)}`);
      if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
        return problem(`Expected a whole number from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}, but got ${value}`);
      }
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : problem(`Expected true or false, but got ${describe(value)}`);
    case 'enum': {
      const text = typeof value === 'string' && spec.caseInsensitive === true ? value.toUpperCase() : value;
      return typeof text === 'string' && spec.values.includes(text) ? [] : problem(`Expected one of ${spec.values.join(', ')}, but got ${describe(value)}`);
    }
    case 'list':
      if (!Array.isArray(value)) return problem(`Expected a list, but got ${describe(value)}`);
      if (spec.nonEmpty === true && value.length === 0) return problem('Expected a non-empty list');
      return value.flatMap((item, index) => checkValue(item, spec.of, `${path}[${index}]`));
    case 'object':
      return checkObject(value, spec, path);
    case 'check':
      return spec.check(value, path);
  }
}

function checkObject(value: unknown, spec: Extract<ValueSpec, { kind: 'object' }>, path: string): ConfigFileProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{ path, message: `Expected an object with ${Object.keys(spec.fields).join(', ')}, but got ${describe(value)}` }];
  }
  const problems: ConfigFileProblem[] = [];
  const document = value as { [key: string]: unknown };
  for (const [key, item] of Object.entries(document)) {
    const field = spec.fields[key];
    if (field === undefined) problems.push({ path: join(path, key), message: `Unknown key; expected one of ${Object.keys(spec.fields).join(', ')}` });
    else if (item !== undefined && item !== null) problems.push(...checkValue(item, field, join(path, key)));
  }
  for (const key of spec.required ?? []) {
    if (document[key] === undefined || document[key] === null) problems.push({ path: join(path, key), message: 'Expected a value, but it is missing' });
  }
  return problems;
}

/** The checked document with enum values in their canonical case and empty (null) keys left out. */
function normalized(value: unknown, spec: ValueSpec): unknown {
  if (spec.kind === 'enum' && spec.caseInsensitive === true && typeof value === 'string') return value.toUpperCase();
  if (spec.kind === 'list' && Array.isArray(value)) return value.map((item) => normalized(item, spec.of));
  if (spec.kind === 'object' && typeof value === 'object' && value !== null) {
    const result: { [key: string]: unknown } = {};
    for (const [key, item] of Object.entries(value)) if (item !== null && item !== undefined) result[key] = normalized(item, spec.fields[key]);
    return result;
  }
  return value;
}

/**
 * The broker configuration from the flags and the file: a flag given on the command line wins, else the file's
 * value, else the flag's default. `flags` are commander's option values, `fromCommandLine(name)` says whether the
 * option `name` was given on the command line (commander's getOptionValueSource(name) === 'cli').
 */
export function brokerConfigWithFile(
  fromFlags: BrokerConfig,
  file: BrokerConfigFile,
  flags: { readonly [name: string]: unknown },
  fromCommandLine: (name: string) => boolean,
): BrokerConfig {
  const pick = <T>(name: string, fileValue: T | undefined, flagValue: T): T => (fromCommandLine(name) || fileValue === undefined ? flagValue : fileValue);
  const jsonl = file.exporters?.jsonl;
  const fileJsonl = jsonl !== undefined && jsonl.enabled !== false ? jsonl.file : undefined;
  return {
    ...fromFlags,
    dataDirectory: pick('dataDir', file.dataDirectory, fromFlags.dataDirectory),
    host: pick('host', file.host, fromFlags.host),
    nodeId: pick('nodeId', file.nodeId, fromFlags.nodeId),
    partitionCount: pick('partitions', file.partitions, fromFlags.partitionCount),
    gatewayPort: pick('port', file.gateway?.port, fromFlags.gatewayPort),
    monitoringPort: pick('monitoringPort', file.monitoring?.port, fromFlags.monitoringPort),
    schemaRegistryPort: pick('schemaRegistryPort', file.schemaRegistry?.port, fromFlags.schemaRegistryPort),
    snapshotPeriodMs: pick('snapshotPeriod', file.snapshotPeriodMs, fromFlags.snapshotPeriodMs),
    fsync: pick('fsync', file.fsync, fromFlags.fsync),
    allowUnknownCalledProcess: pick('allowUnknownCalledProcess', file.allowUnknownCalledProcess, fromFlags.allowUnknownCalledProcess),
    exportJsonlFile: fromCommandLine('exportJsonl') ? fromFlags.exportJsonlFile : (fileJsonl ?? fromFlags.exportJsonlFile),
    kafka: kafkaWithFile(fromFlags.kafka, file.exporters?.kafka, flags, fromCommandLine),
  };
}

function kafkaWithFile(
  fromFlags: KafkaExportConfig | undefined,
  file: NonNullable<BrokerConfigFile['exporters']>['kafka'],
  flags: { readonly [name: string]: unknown },
  fromCommandLine: (name: string) => boolean,
): KafkaExportConfig | undefined {
  if (file === undefined) return fromFlags;
  const flag = <T>(name: string, fileValue: T | undefined): T | undefined => (fromCommandLine(name) ? (flags[name] as T) : fileValue);
  const upper = (items: unknown): string[] | undefined => (items as string[] | undefined)?.map((item) => item.toUpperCase());
  return {
    brokers: flag<string[]>('kafkaBrokers', file.brokers) ?? [],
    topicPrefix: flag('kafkaTopicPrefix', file.topicPrefix) ?? KAFKA_TOPIC_PREFIX_DEFAULT,
    format: flag<KafkaFormat>('kafkaFormat', file.format) ?? 'json',
    keyField: flag<KafkaKeyField>('kafkaKey', file.key) ?? 'processInstanceKey',
    filter: {
      recordTypes: (fromCommandLine('kafkaRecordTypes') ? upper(flags.kafkaRecordTypes) : file.filters?.recordTypes) as RecordType[] | undefined,
      valueTypes: (fromCommandLine('kafkaValueTypes') ? upper(flags.kafkaValueTypes) : file.filters?.valueTypes) as ValueType[] | undefined,
      bpmnProcessIds: flag<string[]>('kafkaProcessIds', file.filters?.processIds),
    },
    schemaRegistryUrl: flag<string>('schemaRegistryUrl', file.schemaRegistryUrl),
    // Brokers given on the command line turn the exporter on, whatever the file says.
    enabled: fromCommandLine('kafkaBrokers') ? true : file.enabled,
  };
}
