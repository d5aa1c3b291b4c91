import { Command } from 'commander';
import { Broker } from '../broker/broker.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig, type KafkaExportConfig } from '../broker/broker-config.js';
import {
  KAFKA_FORMATS,
  KAFKA_KEY_FIELDS,
  KAFKA_TOPIC_PREFIX_DEFAULT,
  type KafkaFormat,
  type KafkaKeyField,
} from '../exporters/index.js';
import type { RecordType, ValueType } from '../protocol/index.js';

/** `tributary broker`: runs a single broker with its embedded gateway until SIGINT or SIGTERM. */
export function brokerCommand(): Command {
  const defaults = BROKER_CONFIG_DEFAULTS;
  return new Command('broker')
    .description('start a broker with its embedded gateway')
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
    .action(async (options) => {
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
      };
      const broker = new Broker(config);
      try {
        await broker.start();
      } catch (error) {
        console.error(`Error: the broker could not start: ${(error as Error).message}`);
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`Received ${signal}; stopping the broker`);
        broker.stop().then(
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

export function integer(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Expected a whole number, but got '${text}'`);
  return value;
}
