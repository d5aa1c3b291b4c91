import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RoundRobinJobStreams } from '../engine/index.js';
import { HttpSchemaRegistryClient, JsonLinesExporter, KafkaExporter, KafkajsProducer, type Exporter } from '../exporters/index.js';
import { GatewayServer } from '../gateway/index.js';
import {
  FileSchemaRegistryStore,
  SCHEMA_REGISTRY_PORT_DEFAULT,
  SchemaRegistry,
  startMonitoringServer,
  startSchemaRegistryServer,
  type MonitoringServer,
  type SchemaRegistryServer,
} from '../http/index.js';
import { decodeRecordBatch, type Record } from '../protocol/index.js';
import type { BrokerConfig } from './broker-config.js';
import { systemClock, type Clock } from './clock.js';
import { ExporterDirector, FileExporterPositionStore, registerExporterMetrics } from './exporter-director.js';
import { LocalBrokerClient } from './local-broker-client.js';
import { findEntryIndexForPosition } from './log-position-search.js';
import { MetricsRegistry } from './metrics.js';
import { BrokerMonitoring } from './broker-monitoring.js';
import { Partition } from './partition.js';
import { DataDirectoryLock } from './data-directory-lock.js';
import { registerPartitionMetrics } from './partition-metrics.js';

export interface BrokerLogger {
  info(message: string): void;
  error(message: string): void;
}

const consoleLogger: BrokerLogger = {
  info: (message) => console.log(message),
  error: (message) => console.error(message),
};

/**
 * One broker with its embedded gateway: opens its partitions (recovering each from its log and state), starts the
 * exporters, the gRPC gateway and the monitoring server, and takes snapshots periodically.
 */
export class Broker {
  readonly client: LocalBrokerClient;
  readonly metrics = new MetricsRegistry();
  partitions: Partition[] = [];
  private directors = new Map<number, ExporterDirector>();
  private positionStores: FileExporterPositionStore[] = [];
  private gateway: GatewayServer | undefined;
  private monitoring: MonitoringServer | undefined;
  private schemaRegistry: SchemaRegistry | undefined;
  private schemaRegistryServer: SchemaRegistryServer | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private lock: DataDirectoryLock | undefined;
  gatewayPort = 0;
  monitoringPort = 0;
  /** The port of the built-in schema registry, 0 when it is not served. */
  schemaRegistryPort = 0;

  constructor(
    readonly config: BrokerConfig,
    private readonly logger: BrokerLogger = consoleLogger,
    private readonly clock: Clock = systemClock,
  ) {
    this.client = new LocalBrokerClient(new RoundRobinJobStreams(), { nodeId: config.nodeId, host: config.host, port: config.gatewayPort });
  }

  /** Starts everything; when any part fails, what was started is stopped again and the error is rethrown. */
  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (error) {
      await this.stop().catch(() => undefined);
      throw error;
    }
  }

  private async startParts(): Promise<void> {
    const dataDirectory = resolve(this.config.dataDirectory);
    await mkdir(dataDirectory, { recursive: true });
    this.lock = await DataDirectoryLock.acquire(dataDirectory);
    for (let partitionId = 1; partitionId <= this.config.partitionCount; partitionId++) {
      this.partitions.push(await this.openPartition(partitionId, join(dataDirectory, 'partitions', String(partitionId))));
    }
    this.client.attach(this.partitions);
    registerPartitionMetrics(this.metrics, () => this.partitions);
    await this.startSchemaRegistry(dataDirectory);
    await this.startExporters(dataDirectory);
    this.monitoring = await startMonitoringServer({ source: new BrokerMonitoring(this), host: this.config.host, port: this.config.monitoringPort });
    this.monitoringPort = this.monitoring.port;
    this.gateway = new GatewayServer(this.client, { host: this.config.host, port: this.config.gatewayPort });
    this.gatewayPort = await this.gateway.start();
    this.client.setAdvertisedPort(this.gatewayPort);
    this.snapshotTimer = setInterval(() => void this.snapshotAll(), this.config.snapshotPeriodMs);
    this.snapshotTimer.unref();
    this.logger.info(`Tributary broker ${this.config.nodeId} ready: gateway on ${this.config.host}:${this.gatewayPort}, monitoring on port ${this.monitoringPort}, data in ${dataDirectory}`);
  }

  private openPartition(partitionId: number, directory: string): Promise<Partition> {
    const client = this.client;
    let partition: Partition | undefined;
    const opened = Partition.open({
      partitionId,
      directory,
      clock: this.clock,
      jobStreams: client.jobStreams,
      partitionCount: this.config.partitionCount,
      fsync: this.config.fsync,
      pendingCommandsMax: this.config.pendingCommandsMax,
      listener: {
        onResponse: (response) => client.deliverResponse(response),
        onSideEffect: (effect) => partition && client.runSideEffect(partition, effect),
        onCommitted: (records) => this.directors.get(partitionId)?.onCommitted(records),
        onFailure: (error) => {
          this.logger.error(`Partition ${partitionId} failed and stopped processing: ${error.message}`);
          client.failAll(error);
        },
      },
    });
    return opened.then((value) => (partition = value));
  }

  private async startExporters(dataDirectory: string): Promise<void> {
    registerExporterMetrics(this.metrics, () => this.directors.values());
    for (const partition of this.partitions) {
      const exporters: Exporter[] = [];
      if (this.config.exportJsonlFile) exporters.push(new JsonLinesExporter({ file: this.config.exportJsonlFile }));
      const kafkaExporter = this.kafkaExporter();
      if (kafkaExporter !== undefined) exporters.push(kafkaExporter);
      const positions = await FileExporterPositionStore.open(join(dataDirectory, 'partitions', String(partition.partitionId), 'exporter-positions.json'));
      this.positionStores.push(positions);
      const director = new ExporterDirector({
        partitionId: partition.partitionId,
        exporters,
        positions,
        onError: (exporterId, error) => this.logger.error(`Exporter '${exporterId}' on partition ${partition.partitionId} failed: ${String(error)}`),
      });
      director.start((fromPosition) => readCommittedRecords(partition, fromPosition));
      this.directors.set(partition.partitionId, director);
    }
  }

  /**
   * The registry keeps its events in the data directory. Served when a port is configured, or on 8081 when the Kafka
   * exporter writes Avro and has no external registry.
   */
  private async startSchemaRegistry(dataDirectory: string): Promise<void> {
    const kafka = this.config.kafka;
    const neededByExporter = kafka !== undefined && kafka.format === 'avro' && kafka.schemaRegistryUrl === undefined;
    const port = this.config.schemaRegistryPort ?? (neededByExporter ? SCHEMA_REGISTRY_PORT_DEFAULT : undefined);
    if (port === undefined) return;
    this.schemaRegistry = await SchemaRegistry.open(new FileSchemaRegistryStore(join(dataDirectory, 'schema-registry')));
    this.schemaRegistryServer = await startSchemaRegistryServer(this.schemaRegistry, { host: this.config.host, port });
    this.schemaRegistryPort = this.schemaRegistryServer.port;
    this.logger.info(`Schema registry of broker ${this.config.nodeId} on ${this.config.host}:${this.schemaRegistryPort}`);
  }

  /** One Kafka exporter (with its own producer) per partition, when Kafka is configured. */
  private kafkaExporter(): KafkaExporter | undefined {
    const kafka = this.config.kafka;
    if (kafka === undefined) return undefined;
    const registryUrl = kafka.schemaRegistryUrl ?? this.schemaRegistryServer?.url;
    return new KafkaExporter({
      producer: new KafkajsProducer({ brokers: kafka.brokers, clientId: `tributary-${this.config.nodeId}` }),
      topicPrefix: kafka.topicPrefix,
      format: kafka.format,
      keyField: kafka.keyField,
      filter: kafka.filter,
      schemaRegistry: kafka.format === 'avro' && registryUrl !== undefined ? new HttpSchemaRegistryClient(registryUrl) : undefined,
    });
  }

  exporterDirector(partitionId: number): ExporterDirector | undefined {
    return this.directors.get(partitionId);
  }

  /** Snapshot each partition and compact its log, never past what every exporter has acknowledged. */
  async snapshotAll(): Promise<void> {
    for (const partition of this.partitions) {
      const director = this.directors.get(partition.partitionId);
      const exported = director && director.exporterStats().length > 0 ? director.lowestAcknowledgedPosition : Number.MAX_SAFE_INTEGER;
      try {
        await partition.snapshotAndCompact(exported);
      } catch (error) {
        this.logger.error(`Snapshot of partition ${partition.partitionId} failed: ${String(error)}`);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    const stopped = this.stopParts();
    await stopped.finally(() => this.lock?.release());
  }

  private async stopParts(): Promise<void> {
    await this.gateway?.stop();
    await this.monitoring?.close();
    await this.snapshotAll();
    for (const partition of this.partitions) await partition.close();
    for (const director of this.directors.values()) await director.close();
    for (const positions of this.positionStores) await positions.close();
    await this.schemaRegistryServer?.close();
    await this.schemaRegistry?.close();
  }
}

/** Committed records of a partition from a position on, read back from its log (up to what is durable). */
function* readCommittedRecords(partition: Partition, fromPosition: number): Iterable<Record> {
  const log = partition.log;
  const startIndex = findEntryIndexForPosition(log, fromPosition);
  if (startIndex === undefined) return;
  const reader = log.reader(startIndex);
  for (let entry = reader.next(); entry && entry.index <= log.durableIndex; entry = reader.next()) {
    for (const record of decodeRecordBatch(entry.payload)) {
      if (record.position >= fromPosition) yield record;
    }
  }
}
