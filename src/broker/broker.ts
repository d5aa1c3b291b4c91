import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { RoundRobinJobStreams } from '../engine/index.js';
import { cutTornJsonLinesTail, HttpSchemaRegistryClient, JSON_LINES_EXPORTER_ID, JsonLinesExporter, KAFKA_EXPORTER_ID, KafkaExporter, KafkajsProducer, type Exporter } from '../exporters/index.js';
import { GatewayServer } from '../gateway/index.js';
import {
  migrateFileSchemaRegistry,
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
import { ExporterDirector, NO_POSITION, registerExporterMetrics } from './exporter-director.js';
import { LogExporterPositionStore } from './exporter-director-positions.js';
import type { ReadonlyEngineState } from '../state/domain/index.js';
import { LocalBrokerClient } from './local-broker-client.js';
import { findEntryIndexForPosition } from './log-position-search.js';
import { MetricsRegistry } from './metrics.js';
import { BrokerMonitoring } from './broker-monitoring.js';
import { Partition, partitionFailedError, type PartitionListener } from './partition.js';
import { partitionSettingsOf, type PartitionSettings } from './partition-settings.js';
import type { BrokerPartition } from './broker-partition.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { ClusterBrokerClient, type RoutedReplica } from './cluster/cluster-broker-client.js';
import { PartitionThreads } from './threads/partition-threads.js';
import type { ThreadMemberConfig } from './broker-config.js';
import type { ReplicatedPartition } from './cluster/replicated-partition.js';
import type { BrokerClient } from '../gateway/broker-client.js';
import { DataDirectoryLock } from './data-directory-lock.js';
import { registerPartitionMetrics } from './partition-metrics.js';
import { registerGatewayAdmissionMetrics, registerQueueDelayMetrics } from './backpressure/index.js';

/**
 * A command that waited longer than this to reach its partition thread is refused (back-pressure the partition's
 * own limit cannot see); as long as Zeebe's default AIMD request timeout.
 */
const THREAD_QUEUE_DELAY_MAX_MS = 200;

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
  partitions: BrokerPartition[] = [];
  /** This broker's part of a cluster; undefined for a broker that runs alone. */
  cluster: ClusterNode | undefined;
  /** On the main thread of a broker with partition threads: the threads, and the client that reaches them. */
  threads: PartitionThreads | undefined;
  /** On a partition thread: routes commands to the other threads' partitions. */
  private threadRouter: ClusterBrokerClient | undefined;
  private directors = new Map<number, ExporterDirector>();
  /** Set once exporters may start (directors of partitions this broker leads later start on the role change). */
  private exporterDataDirectory: string | undefined;
  /** Role changes start and stop exporters one after another. */
  private roleChanges: Promise<void> = Promise.resolve();
  private positionStores: LogExporterPositionStore[] = [];
  private readonly positionStoresByPartition = new Map<number, LogExporterPositionStore>();
  private gateway: GatewayServer | undefined;
  private monitoring: MonitoringServer | undefined;
  private schemaRegistry: SchemaRegistry | undefined;
  private schemaRegistryServer: SchemaRegistryServer | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** Set by stop: no snapshot starts, and the one under way is dropped. */
  private stopping = false;
  private lock: DataDirectoryLock | undefined;
  gatewayPort = 0;
  monitoringPort = 0;
  /** The port of the built-in schema registry, 0 when it is not served. */
  schemaRegistryPort = 0;
  /**
   * Every partition's settings, for all the ways a partition runs: opened here (alone, or on a partition thread,
   * whose broker gets the whole configuration and builds them the same way) or as a cluster's replica.
   */
  private readonly partitionSettings: PartitionSettings;

  constructor(
    readonly config: BrokerConfig,
    private readonly logger: BrokerLogger = consoleLogger,
    private readonly clock: Clock = systemClock,
  ) {
    this.partitionSettings = partitionSettingsOf(config);
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
    const member = this.config.threadMember;
    // The main thread holds the lock for its partition threads.
    if (member === undefined) this.lock = await DataDirectoryLock.acquire(dataDirectory);
    // Every partition's exporter (on any thread) appends to the one JSON-lines file: a torn tail is cut here, once,
    // before any of them writes; a cut made while another one writes would remove its acknowledged lines. A file
    // that cannot be opened is left to the exporters, which report it.
    if (member === undefined && this.config.exportJsonlFile) await cutTornJsonLinesTail(this.config.exportJsonlFile).catch(() => undefined);
    if (this.config.cluster !== undefined) {
      await this.startCluster(dataDirectory);
    } else if (member !== undefined) {
      await this.startThreadMember(dataDirectory, member);
    } else if ((this.config.partitionThreads ?? 0) > 0) {
      this.threads = await PartitionThreads.start({
        config: this.config,
        threadCount: this.config.partitionThreads!,
        local: this.client,
        gatewayAddress: () => ({ host: this.config.host, port: this.gatewayPort }),
      });
    } else {
      for (let partitionId = 1; partitionId <= this.config.partitionCount; partitionId++) {
        this.partitions.push(await this.openPartition(partitionId, join(dataDirectory, 'partitions', String(partitionId))));
      }
    }
    this.client.attach(this.partitions);
    registerPartitionMetrics(this.metrics, () => this.partitions);
    // A partition thread's own router forwards no client's commands: only the gateway's early refusals are shown.
    if (member === undefined) registerGatewayAdmissionMetrics(this.metrics, () => (this.cluster?.client ?? this.threads?.client)?.admission);
    else registerQueueDelayMetrics(this.metrics, () => this.threadRouter?.queueDelayRefused);
    // The registry reads partition 1's state: it is served where that partition runs.
    if (member === undefined ? this.threads === undefined : member.partitionIds.includes(1)) await this.startSchemaRegistry(dataDirectory);
    await this.startExporters(dataDirectory);
    if (member !== undefined) {
      this.scheduleSnapshots();
      return;
    }
    this.monitoring = await startMonitoringServer({ source: new BrokerMonitoring(this), host: this.config.host, port: this.config.monitoringPort });
    this.monitoringPort = this.monitoring.port;
    this.gateway = new GatewayServer(this.gatewayClient, { host: this.config.host, port: this.config.gatewayPort });
    this.gatewayPort = await this.gateway.start();
    this.client.setAdvertisedPort(this.gatewayPort);
    this.scheduleSnapshots();
    this.logger.info(`Tributary broker ${this.config.nodeId} ready: gateway on ${this.config.host}:${this.gatewayPort}, monitoring on port ${this.monitoringPort}, data in ${dataDirectory}`);
  }

  /** Where the gateway (and anything else that writes commands) sends them: in a cluster, to the partition's leader. */
  get gatewayClient(): BrokerClient {
    return this.cluster?.client ?? this.threads?.client ?? this.threadRouter ?? this.client;
  }

  /** Each partition and whether it is healthy, wherever it runs (this thread, a partition thread, this cluster node). */
  partitionHealth(): { partitionId: number; healthy: boolean }[] {
    if (this.threads === undefined) return this.partitions.map((partition) => ({ partitionId: partition.partitionId, healthy: partition.healthy }));
    const broker = this.threads.client.topology().brokers[0];
    return this.threads.client.partitionIds().map((partitionId) => ({
      partitionId,
      healthy: broker?.partitions.some((partition) => partition.partitionId === partitionId && partition.role === 'LEADER' && partition.health === 'HEALTHY') ?? false,
    }));
  }

  /** A partition thread: opens its partitions and routes commands to the others through the main thread's mesh. */
  private async startThreadMember(dataDirectory: string, member: ThreadMemberConfig): Promise<void> {
    for (const partitionId of member.partitionIds) {
      this.partitions.push(await this.openPartition(partitionId, join(dataDirectory, 'partitions', String(partitionId))));
    }
    const replicas: RoutedReplica[] = this.partitions.map((partition) => ({
      partitionId: partition.partitionId,
      role: 'LEADER',
      term: 1,
      get healthy() {
        return partition.healthy;
      },
    }));
    this.threadRouter = new ClusterBrokerClient({
      nodeId: member.nodeId,
      clusterSize: member.threadCount + 1,
      partitionCount: this.config.partitionCount,
      replicationFactor: 1,
      transport: member.transport,
      local: this.client,
      replicas: () => replicas,
      gatewayAddress: () => ({ host: this.config.host, port: 0 }),
      queueDelayMaxMs: THREAD_QUEUE_DELAY_MAX_MS,
    });
    this.threadRouter.start();
    this.client.routeCommandsWith((partitionId, command) => {
      this.threadRouter?.sendCommand(partitionId, command).catch(() => undefined);
    });
  }

  private async startCluster(dataDirectory: string): Promise<void> {
    this.cluster = await ClusterNode.start({
      nodeId: this.config.nodeId,
      cluster: this.config.cluster!,
      partitionCount: this.config.partitionCount,
      dataDirectory,
      clock: this.clock,
      settings: this.partitionSettings,
      jobStreams: this.client.jobStreams,
      local: this.client,
      gatewayAddress: () => ({ host: this.config.host, port: this.gatewayPort }),
      listenerFor: (partitionId, partition) => this.partitionListener(partitionId, partition),
      onRoleChange: (partition) => this.onRoleChange(partition),
      onWarning: (message) => this.logger.info(message),
    });
    this.partitions = this.cluster.replicas;
    this.client.routeCommandsWith((partitionId, command) => {
      this.cluster?.client.sendCommand(partitionId, command).catch(() => undefined);
    });
  }

  /** A replica became the leader of its partition, or stopped being it. */
  private onRoleChange(partition: ReplicatedPartition): void {
    this.logger.info(`Partition ${partition.partitionId} on broker ${this.config.nodeId}: ${partition.role} in term ${partition.term}`);
    const change = () => (partition.role === 'LEADER' ? this.startDirector(partition) : this.stopDirector(partition.partitionId));
    this.roleChanges = this.roleChanges
      .then(change)
      .catch((error: unknown) => this.logger.error(`Starting or stopping the exporters of partition ${partition.partitionId} failed: ${String(error)}`));
  }

  private partitionListener(partitionId: number, partition: () => BrokerPartition | undefined): PartitionListener {
    const client = this.client;
    return {
      onResponse: (response) => client.deliverResponse(response),
      onSideEffect: (effect) => {
        const current = partition();
        if (current) client.runSideEffect(current, effect);
        if (effect.kind === 'jobs-available') (this.cluster?.client ?? this.threadRouter)?.broadcastJobsAvailable(effect.jobType);
      },
      onCommitted: (records) => this.directors.get(partitionId)?.onCommitted(records),
      onFailure: (error) => {
        this.logger.error(`Partition ${partitionId} failed and stopped processing: ${error.message}`);
        client.failPartition(partitionId, partitionFailedError(partitionId, error));
      },
    };
  }

  private openPartition(partitionId: number, directory: string): Promise<Partition> {
    // The listener reads the partition through this holder: the partition exists only once it is open.
    const opened: { partition?: Partition } = {};
    return Partition.open({
      partitionId,
      directory,
      clock: this.clock,
      jobStreams: this.client.jobStreams,
      partitionCount: this.config.partitionCount,
      settings: this.partitionSettings,
      listener: this.partitionListener(partitionId, () => opened.partition),
    }).then((partition) => (opened.partition = partition));
  }


  private async startExporters(dataDirectory: string): Promise<void> {
    registerExporterMetrics(this.metrics, () => this.directors.values());
    this.exporterDataDirectory = dataDirectory;
    // In a cluster only a partition's leader exports: its director starts when it becomes the leader.
    for (const partition of this.partitions) {
      if (this.cluster === undefined || (partition as ReplicatedPartition).role === 'LEADER') await this.startDirector(partition);
    }
  }

  /** Starts exporting a partition from where its exporters' acknowledged positions say. */
  private async startDirector(partition: BrokerPartition): Promise<void> {
    const dataDirectory = this.exporterDataDirectory;
    if (dataDirectory === undefined || this.directors.has(partition.partitionId)) return;
    const exporters: Exporter[] = [];
    if (this.config.exportJsonlFile) exporters.push(new JsonLinesExporter({ file: this.config.exportJsonlFile, shared: true }));
    const kafkaExporter = this.kafkaExporter();
    if (kafkaExporter !== undefined) exporters.push(kafkaExporter);
    const positions = await this.openExporterPositions(partition, join(dataDirectory, 'partitions', String(partition.partitionId), 'exporter-positions.json'));
    // Exporters disabled or removed from the configuration stop holding back compaction.
    void positions.retainOnly(exporters.map((exporter) => exporter.id));
    this.positionStores.push(positions);
    this.positionStoresByPartition.set(partition.partitionId, positions);
    const director = new ExporterDirector({
      partitionId: partition.partitionId,
      exporters,
      positions,
      onError: (exporterId, error) => this.logger.error(`Exporter '${exporterId}' on partition ${partition.partitionId} failed: ${String(error)}`),
      onWarning: (message) => this.logger.error(message),
    });
    director.start((fromPosition) => readCommittedRecords(partition, fromPosition));
    this.directors.set(partition.partitionId, director);
  }

  /** This broker stopped leading the partition: its new leader exports from the replicated positions. */
  private async stopDirector(partitionId: number): Promise<void> {
    const director = this.directors.get(partitionId);
    if (director === undefined) return;
    this.directors.delete(partitionId);
    const positions = this.positionStoresByPartition.get(partitionId);
    this.positionStoresByPartition.delete(partitionId);
    this.positionStores = this.positionStores.filter((store) => store !== positions);
    await director.close();
  }

  /**
   * The registry lives in partition 1: its changes are SCHEMA commands written through the partition's leader, its
   * data is partition 1's state. A registry file of an earlier version is imported once. Served when a port is
   * configured, or on 8081 when the Kafka exporter writes Avro and has no external registry.
   */
  private async startSchemaRegistry(dataDirectory: string): Promise<void> {
    this.schemaRegistry = new SchemaRegistry({
      reads: () => {
        const partition = this.partitions.find((candidate) => candidate.partitionId === SCHEMA_REGISTRY_PARTITION_ID);
        return partition === undefined ? undefined : engineStateOf(partition)?.schemaRegistry;
      },
      sendCommand: (intent, value) => this.gatewayClient.sendCommand(SCHEMA_REGISTRY_PARTITION_ID, { valueType: 'SCHEMA', intent, key: -1n, value }),
    });
    const migrated = await migrateFileSchemaRegistry(join(dataDirectory, 'schema-registry'), this.schemaRegistry).catch((error: unknown) => {
      this.logger.error(`Importing the schema registry file of an earlier version failed (it is tried again at the next start): ${String(error)}`);
      return 0;
    });
    if (migrated > 0) this.logger.info(`Imported ${migrated} schema registry events of an earlier version into partition ${SCHEMA_REGISTRY_PARTITION_ID}`);
    const kafka = this.config.kafka;
    const neededByExporter = kafka !== undefined && kafka.enabled !== false && kafka.format === 'avro' && kafka.schemaRegistryUrl === undefined;
    const port = this.config.schemaRegistryPort ?? (neededByExporter ? SCHEMA_REGISTRY_PORT_DEFAULT : undefined);
    if (port === undefined) return;
    this.schemaRegistryServer = await startSchemaRegistryServer(this.schemaRegistry, { host: this.config.host, port });
    this.schemaRegistryPort = this.schemaRegistryServer.port;
    this.logger.info(`Schema registry of broker ${this.config.nodeId} on ${this.config.host}:${this.schemaRegistryPort}`);
  }

  /**
   * Exporter positions live in the partition's state, written as EXPORTER commands through its log (so they are
   * replicated and snapshotted); legacyFile is the JSON file earlier versions kept them in, migrated once.
   */
  private openExporterPositions(partition: BrokerPartition, legacyFile: string): Promise<LogExporterPositionStore> {
    return LogExporterPositionStore.open({
      partitionId: partition.partitionId,
      state: () => engineStateOf(partition)?.exporterPositions,
      sendCommand: (command) => this.gatewayClient.sendCommand(partition.partitionId, command),
      legacyFile,
      onError: (error) => this.logger.error(`Storing exporter positions of partition ${partition.partitionId} failed: ${String(error)}`),
    });
  }

  /** One Kafka exporter (with its own producer) per partition, when Kafka is configured and enabled. */
  private kafkaExporter(): KafkaExporter | undefined {
    const kafka = this.config.kafka;
    if (kafka === undefined || kafka.enabled === false) return undefined;
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

  /**
   * The log position below which every configured exporter has acknowledged the partition's records. A replica that
   * does not lead the partition runs no exporters: the positions its leader stored, replicated in the state, bound
   * its compaction, so a new leader still finds what its exporters have not acknowledged.
   */
  private exportedPosition(partition: BrokerPartition): number {
    const director = this.directors.get(partition.partitionId);
    if (director !== undefined) return director.exporterStats().length > 0 ? director.lowestAcknowledgedPosition : Number.MAX_SAFE_INTEGER;
    const exporterIds = [
      ...(this.config.exportJsonlFile ? [JSON_LINES_EXPORTER_ID] : []),
      ...(this.config.kafka !== undefined && this.config.kafka.enabled !== false ? [KAFKA_EXPORTER_ID] : []),
    ];
    if (exporterIds.length === 0) return Number.MAX_SAFE_INTEGER;
    const stored = engineStateOf(partition)?.exporterPositions;
    return Math.min(...exporterIds.map((exporterId) => stored?.getPosition(exporterId) ?? NO_POSITION));
  }

  exporterDirector(partitionId: number): ExporterDirector | undefined {
    return this.directors.get(partitionId);
  }

  /**
   * The next round of snapshots starts a period after the last one ended, not on a fixed beat: a paced copy of a
   * large state can take longer than the period, and rounds back to back would keep a share of every partition
   * thread for good.
   */
  private scheduleSnapshots(): void {
    this.snapshotTimer = setTimeout(() => {
      void this.snapshotAll().finally(() => {
        if (!this.stopping) this.scheduleSnapshots();
      });
    }, this.config.snapshotPeriodMs);
    this.snapshotTimer.unref();
  }

  /** Snapshot each partition and compact its log, never past what every exporter has acknowledged. */
  async snapshotAll(): Promise<void> {
    await this.flushExporterPositions();
    for (const partition of this.partitions) {
      if (this.stopping) return;
      const exported = this.exportedPosition(partition);
      const startedMs = performance.now();
      try {
        await partition.snapshotAndCompact(exported);
        this.logger.info(`Snapshot of partition ${partition.partitionId} taken in ${Math.round(performance.now() - startedMs)} ms`);
      } catch (error) {
        // A stop drops the snapshot under way (see stop): that is no failure.
        if (!this.stopping) this.logger.error(`Snapshot of partition ${partition.partitionId} failed: ${String(error)}`);
      }
    }
  }

  /** Positions acknowledged since the last write go into the log (before a snapshot, and on stop). */
  private async flushExporterPositions(): Promise<void> {
    await Promise.all(this.positionStores.map((positions) => positions.flush())).catch(() => undefined);
  }

  /**
   * A graceful stop takes no snapshot and drops one under way: RocksDB holds the state up to the position it
   * persisted, so a restart is as fast without it, and copying a large state (1,000,000 instances: about 20 s) would
   * outlast a stop's grace period (Kubernetes gives 30 s).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    const stopped = this.stopParts();
    await stopped.finally(() => this.lock?.release());
  }

  private async stopParts(): Promise<void> {
    await this.gateway?.stop();
    await this.monitoring?.close();
    await this.threads?.stop();
    this.threadRouter?.close();
    await this.flushExporterPositions();
    for (const partition of this.partitions) await partition.close();
    await this.cluster?.close();
    for (const director of this.directors.values()) await director.close();
    for (const positions of this.positionStores) await positions.close();
    await this.schemaRegistryServer?.close();
    await this.schemaRegistry?.close();
  }
}

/** The built-in schema registry keeps its data in partition 1, which every cluster has. */
const SCHEMA_REGISTRY_PARTITION_ID = 1;

/** The engine state of a partition (a single broker's Partition and a cluster's replica both have an engine). */
function engineStateOf(partition: BrokerPartition): ReadonlyEngineState | undefined {
  return (partition as { engine?: { state: ReadonlyEngineState } }).engine?.state;
}

/** Committed records of a partition from a position on, read back from its log (up to what is durable). */
function* readCommittedRecords(partition: BrokerPartition, fromPosition: number): Iterable<Record> {
  const log = partition.log;
  const startIndex = findEntryIndexForPosition(log, fromPosition);
  if (startIndex === undefined) return;
  const reader = log.reader(startIndex);
  for (let entry = reader.next(); entry && entry.index <= partition.committedIndex; entry = reader.next()) {
    // A new Raft leader's no-op entry holds no records.
    if (entry.payload.byteLength === 0) continue;
    for (const record of decodeRecordBatch(entry.payload)) {
      if (record.position >= fromPosition) yield record;
    }
  }
}
