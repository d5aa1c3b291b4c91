import { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { Broker } from '../broker/broker.js';
import { BACKPRESSURE_ALGORITHMS } from '../broker/backpressure/index.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig, type KafkaExportConfig } from '../broker/broker-config.js';
import {
  KAFKA_FORMATS,
  KAFKA_KEY_FIELDS,
  KAFKA_TOPIC_PREFIX_DEFAULT,
  type KafkaFormat,
  type KafkaKeyField,
} from '../exporters/index.js';
import type { RecordType, ValueType } from '../protocol/index.js';
import { parseDuration } from '../bpmn/timer.js';
import { loadConnectorsFileOrExit, startConnectors } from './connect-command.js';
import { brokerConfigWithFile, formatConfigFileProblems, loadBrokerConfigFile } from './config-file.js';
import { CLUSTER_ID_DEFAULT, INTERNAL_PORT_DEFAULT, RAFT_TICK_INTERVAL_DEFAULT_MS, type ClusterConfig } from '../broker/cluster/cluster-config.js';

/** `tributary broker`: runs a single broker with its embedded gateway until SIGINT or SIGTERM. */
export function brokerCommand(): Command {
  const defaults = BROKER_CONFIG_DEFAULTS;
  return new Command('broker')
    .description('start a broker with its embedded gateway')
    .option('--config <file>', 'read the configuration from this YAML or JSON file (docs/configuration.md); flags override it')
    .option('--data-dir <dir>', 'where logs, state and snapshots live', defaults.dataDirectory)
    .option('--host <host>', 'interface to listen on', defaults.host)
    .option('--port <port>', 'gateway gRPC port (Zeebe gateway protocol)', integer, defaults.gatewayPort)
    .option('--monitoring-port <port>', 'port of /ready, /health and /metrics', integer, defaults.monitoringPort)
    .option('--partitions <count>', 'number of partitions', integer, defaults.partitionCount)
    .option('--node-id <id>', 'this broker\'s node id', integer, defaults.nodeId)
    .option('--export-jsonl <file>', 'append every record to this file as JSON lines')
    .option('--kafka-brokers <list>', 'mirror every record into Kafka: comma-separated host:port of Kafka brokers', list)
    .option('--kafka-topic-prefix <prefix>', 'Kafka topics are <prefix>-<value-type>', KAFKA_TOPIC_PREFIX_DEFAULT)
    .option('--kafka-format <format>', `format of Kafka messages: ${KAFKA_FORMATS.join(' or ')}`, oneOf(KAFKA_FORMATS), 'json')
    .option('--kafka-key <field>', `what the Kafka key is: ${KAFKA_KEY_FIELDS.join(', ')}`, oneOf(KAFKA_KEY_FIELDS), 'processInstanceKey')
    .option('--kafka-record-types <list>', 'export only these record types (COMMAND, EVENT, COMMAND_REJECTION)', list)
    .option('--kafka-value-types <list>', 'export only these value types (PROCESS_INSTANCE, JOB, ...)', list)
    .option('--kafka-process-ids <list>', 'export only records of these BPMN process ids (records of no process pass)', list)
    .option('--schema-registry-url <url>', 'register Avro schemas in this external schema registry instead of the built-in one')
    .option('--schema-registry-port <port>', 'serve the built-in schema registry on this port (default 8081 when --kafka-format avro needs it)', integer)
    .option('--snapshot-period <ms>', 'how often partitions take snapshots and compact their logs', integer, defaults.snapshotPeriodMs)
    .option('--no-fsync', 'do not fsync the log (unsafe: acknowledged data can be lost; for benchmarks only)')
    .option('--backpressure-algorithm <name>', `how a partition's limit on commands in flight adapts: ${BACKPRESSURE_ALGORITHMS.join(', ')}`, oneOf(BACKPRESSURE_ALGORITHMS), 'aimd')
    .option('--backpressure-limit <count>', 'commands in flight per partition: the fixed limit, or the most aimd and vegas grow to', integer, defaults.pendingCommandsMax)
    .option('--cluster-size <count>', 'brokers in the cluster (node ids 0 to count - 1); 1 runs alone, without Raft', integer, 1)
    .option('--replication-factor <count>', 'replicas of each partition, spread round-robin over the brokers', integer)
    .option('--internal-host <host>', 'interface of the broker-to-broker port (default: --host)')
    .option('--internal-port <port>', 'broker-to-broker port: Raft and command forwarding', integer, INTERNAL_PORT_DEFAULT)
    .option('--contact-points <list>', 'internal host:port of every broker, in node-id order (node 0 first)', list)
    .option('--cluster-id <id>', 'brokers refuse connections from another cluster', CLUSTER_ID_DEFAULT)
    .option('--partition-threads <count>', 'run the partitions on this many worker threads beside the gateway (0: on the gateway\'s thread; default: one per core, at most one per partition)', integer)
    .option('--log-segment-size <bytes>', 'size of a log segment; the log is compacted a segment at a time', integer)
    .option('--raft-tick <ms>', 'Raft clock tick; elections take 10 to 20 ticks', integer, RAFT_TICK_INTERVAL_DEFAULT_MS)
    .option('--connectors <file>', 'run the Kafka connectors of this file (YAML or JSON; docs/connectors.md) inside the broker')
    .option('--idempotency-window <duration>', 'how long a creation\'s idempotency key is remembered (ISO 8601 duration or ms)', durationMs, 3_600_000)
    .option('--allow-unknown-called-process', 'deploy call activities whose static called process is deployed nowhere, as Zeebe does (an incident when they run); rejected by default', false)
    .action(async (options, command: Command) => {
      const connectorsConfig = options.connectors === undefined ? undefined : loadConnectorsFileOrExit(options.connectors);
      if (options.connectors !== undefined && connectorsConfig === undefined) process.exit(1);
      const config: BrokerConfig = {
        ...defaults,
        dataDirectory: options.dataDir,
        host: options.host,
        gatewayPort: options.port,
        monitoringPort: options.monitoringPort,
        partitionCount: options.partitions,
        nodeId: options.nodeId,
        exportJsonlFile: options.exportJsonl,
        kafka: kafkaConfig(options),
        schemaRegistryPort: options.schemaRegistryPort,
        snapshotPeriodMs: options.snapshotPeriod,
        fsync: options.fsync,
        backpressure: { algorithm: options.backpressureAlgorithm, limitMax: options.backpressureLimit },
        idempotencyWindowMs: options.idempotencyWindow,
        allowUnknownCalledProcess: options.allowUnknownCalledProcess,
        cluster: clusterConfig(options),
        segmentSizeBytesMax: options.logSegmentSize,
        partitionThreads: options.partitionThreads,
      };
      const broker = new Broker(withDefaultPartitionThreads(withConfigFileOrExit(config, options, command)));
      let connectors: { close(): Promise<void> } | undefined;
      try {
        await broker.start();
        const gatewayHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
        if (connectorsConfig !== undefined) connectors = await startConnectors(connectorsConfig, `${gatewayHost}:${broker.gatewayPort}`, { json: false, metrics: broker.metrics });
      } catch (error) {
        console.error(`Error: the broker could not start: ${(error as Error).message}`);
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`Received ${signal}; stopping the broker`);
        // Connectors first: a record whose command cannot be acknowledged any more stays uncommitted in Kafka.
        (connectors?.close() ?? Promise.resolve()).then(() => broker.stop()).then(
          () => process.exit(0),
          (error) => {
            console.error(`Stopping the broker failed: ${String(error)}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}

/** The configuration with the --config file's values where no flag was given; exits with every problem of the file. */
function withConfigFileOrExit(config: BrokerConfig, options: { [name: string]: any }, command: Command): BrokerConfig {
  if (options.config === undefined) return config;
  const loaded = loadBrokerConfigFile(options.config as string);
  if (!loaded.ok) {
    console.error(formatConfigFileProblems(options.config as string, loaded.problems));
    process.exit(1);
  }
  return brokerConfigWithFile(config, loaded.config, options, (name) => command.getOptionValueSource(name) === 'cli');
}

function kafkaConfig(options: { [name: string]: any }): KafkaExportConfig | undefined {
  if (options.kafkaBrokers === undefined) return undefined;
  return {
    brokers: options.kafkaBrokers as string[],
    topicPrefix: options.kafkaTopicPrefix as string,
    format: options.kafkaFormat as KafkaFormat,
    keyField: options.kafkaKey as KafkaKeyField,
    filter: {
      recordTypes: upperCase(options.kafkaRecordTypes) as RecordType[] | undefined,
      valueTypes: upperCase(options.kafkaValueTypes) as ValueType[] | undefined,
      bpmnProcessIds: options.kafkaProcessIds as string[] | undefined,
    },
    schemaRegistryUrl: options.schemaRegistryUrl as string | undefined,
  };
}

function upperCase(items: string[] | undefined): string[] | undefined {
  return items?.map((item) => item.toUpperCase());
}

function list(text: string): string[] {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
  if (items.length === 0) throw new Error(`Expected a comma-separated list, but got '${text}'`);
  return items;
}

function oneOf<T extends string>(allowed: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(allowed as readonly string[]).includes(text)) throw new Error(`Expected one of ${allowed.join(', ')}, but got '${text}'`);
    return text as T;
  };
}

/** An ISO 8601 duration without years or months (PT1H, P2D) or whole milliseconds. */
function durationMs(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const parsed = parseDuration(text);
  if (parsed.ok && parsed.value.years === 0 && parsed.value.months === 0 && parsed.value.milliseconds > 0) return parsed.value.milliseconds;
  throw new Error(`Expected an ISO 8601 duration without years or months (e.g. PT1H) or milliseconds, but got '${text}'`);
}

export function integer(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Expected a whole number, but got '${text}'`);
  return value;
}

/** A cluster when more than one broker or replica is asked for; the broker runs alone (no Raft) otherwise. */
function clusterConfig(options: { [name: string]: any }): ClusterConfig | undefined {
  const clusterSize = options.clusterSize as number;
  const replicationFactor = (options.replicationFactor as number | undefined) ?? Math.min(3, clusterSize);
  if (clusterSize === 1 && replicationFactor === 1 && options.contactPoints === undefined) return undefined;
  const internalHost = (options.internalHost as string | undefined) ?? (options.host as string);
  const internalPort = options.internalPort as number;
  return {
    clusterSize,
    replicationFactor,
    internalHost,
    internalPort,
    contactPoints: (options.contactPoints as string[] | undefined) ?? [`${internalHost === '0.0.0.0' ? '127.0.0.1' : internalHost}:${internalPort}`],
    clusterId: options.clusterId as string,
    raftTickIntervalMs: options.raftTick as number,
  };
}

/**
 * A broker alone runs its partitions on worker threads beside the gateway's, one per core, at most one per
 * partition (measured on 2 cores: 2 partitions on 2 threads beat 1 thread by 5 %, and 1 thread beats none by 25 %).
 * Brokers of a cluster keep their replicas on the main thread (they ignore the setting). Computed after the config
 * file is read, since it may set the partitions.
 */
function withDefaultPartitionThreads(config: BrokerConfig): BrokerConfig {
  if (config.partitionThreads !== undefined) return config;
  return { ...config, partitionThreads: config.cluster === undefined ? Math.min(config.partitionCount, availableParallelism()) : 0 };
}
