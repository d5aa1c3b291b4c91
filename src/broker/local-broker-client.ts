import type { PendingResponse, RoundRobinJobStreams, SideEffect } from '../engine/index.js';
import { TributaryError } from '../errors.js';
import type {
  ActivatedJobRecord,
  BrokerClient,
  CommandRequest,
  JobStreamRequest,
  Topology,
} from '../gateway/broker-client.js';
import { hostname } from 'node:os';
import { BROKER_VERSION, type Record } from '../protocol/index.js';
import type { NewCommand } from './partition.js';

/** What the client needs of a partition on this broker (a single broker's Partition or a cluster replica). */
export interface SubmittingPartition {
  readonly partitionId: number;
  readonly healthy: boolean;
  submit(command: NewCommand): void;
  /** The request of a creation awaiting its result timed out here: the partition frees its back-pressure slot. */
  onResultRequestTimedOut?(requestId: number): void;
}

interface PendingRequest {
  partitionId: number;
  resolve: (record: Record) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Bound on how long a command may wait for its answer when the caller gives no timeout. */
const REQUEST_TIMEOUT_DEFAULT_MS = 30_000;

/**
 * The gateway's view of the brokers when both live in one process: commands go straight to the partition, and
 * answers come back through the partition's listener once their records are durable.
 */
export class LocalBrokerClient implements BrokerClient {
  private partitions: SubmittingPartition[] = [];
  /** Where commands one partition sends another go; by default straight to the local partition. */
  private commandRouter: ((partitionId: number, command: NewCommand) => void) | undefined;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly jobListeners = new Set<(jobType: string) => void>();
  private readonly streamPushes = new Map<number, (job: ActivatedJobRecord) => boolean>();
  private nextRequestId = 1;
  private nextStreamId = 1;
  private roundRobin = 0;

  constructor(
    readonly jobStreams: RoundRobinJobStreams,
    private readonly address: { nodeId: number; host: string; port: number },
  ) {}

  attach(partitions: SubmittingPartition[]): void {
    this.partitions = partitions;
  }

  /** The gateway's port once bound (the configured one may be 0, "any free port"). */
  setAdvertisedPort(port: number): void {
    this.address.port = port;
  }

  topology(): Topology {
    return {
      brokers: [
        {
          nodeId: this.address.nodeId,
          // A broker bound to every interface advertises its host name, as Zeebe does.
          host: this.address.host === '0.0.0.0' || this.address.host === '::' ? hostname() : this.address.host,
          port: this.address.port,
          version: BROKER_VERSION,
          partitions: this.partitions.map((partition) => ({
            partitionId: partition.partitionId,
            role: 'LEADER' as const,
            health: partition.healthy ? ('HEALTHY' as const) : ('UNHEALTHY' as const),
          })),
        },
      ],
      clusterSize: 1,
      partitionsCount: this.partitions.length,
      replicationFactor: 1,
      gatewayVersion: BROKER_VERSION,
    };
  }

  partitionForNewInstance(): number {
    const partition = this.partitions[this.roundRobin++ % this.partitions.length];
    return partition.partitionId;
  }

  partitionIds(): number[] {
    return this.partitions.map((partition) => partition.partitionId);
  }

  sendCommand(partitionId: number, command: CommandRequest, options: { timeoutMs?: number } = {}): Promise<Record> {
    const partition = this.partitions.find((candidate) => candidate.partitionId === partitionId);
    if (!partition) {
      return Promise.reject(new TributaryError('PARTITION_UNAVAILABLE', `Expected partition ${partitionId}, but this cluster has partitions ${this.partitionIds().join(', ')}`));
    }
    const requestId = this.nextRequestId++;
    return new Promise<Record>((resolve, reject) => {
      const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : REQUEST_TIMEOUT_DEFAULT_MS;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        if (command.intent === 'CREATE_WITH_AWAITING_RESULT') partition.onResultRequestTimedOut?.(requestId);
        reject(new TributaryError('DEADLINE_EXCEEDED', `Expected to get a response for the ${command.valueType} ${command.intent} command within ${timeoutMs} ms, but none arrived`));
      }, timeoutMs);
      this.pending.set(requestId, { partitionId, resolve, reject, timer });
      try {
        partition.submit({ ...command, requestId, requestStreamId: 0 });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(error);
      }
    });
  }

  onJobsAvailable(listener: (jobType: string) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  openJobStream(request: JobStreamRequest, push: (job: ActivatedJobRecord) => boolean): () => void {
    const streamId = this.nextStreamId++;
    this.streamPushes.set(streamId, push);
    this.jobStreams.add({ streamId, ...request });
    return () => {
      this.jobStreams.remove(streamId);
      this.streamPushes.delete(streamId);
    };
  }

  deliverResponse(response: PendingResponse): void {
    const request = this.pending.get(response.requestId);
    if (!request) return;
    this.pending.delete(response.requestId);
    clearTimeout(request.timer);
    request.resolve(response.record);
  }

  runSideEffect(partition: SubmittingPartition, effect: SideEffect): void {
    if (effect.kind === 'jobs-available') {
      this.notifyJobsAvailable(effect.jobType);
      return;
    }
    if (effect.kind === 'send-command') {
      this.forwardCommand(effect);
      return;
    }
    const push = this.streamPushes.get(effect.streamId);
    if (push && push({ key: effect.jobKey, value: effect.job })) return;
    // The stream closed between activation and push, or its client does not keep up: give the job back so another
    // worker gets it.
    try {
      partition.submit({ valueType: 'JOB', intent: 'YIELD', key: effect.jobKey, value: {} });
    } catch {
      // Under back-pressure the job's activation times out instead, and it becomes activatable then.
    }
  }

  /**
   * Delivers a command one partition sends another (message subscriptions live on the partition of their
   * correlation key). Under back-pressure it is dropped, as Zeebe drops an unsent command: the sender's state still
   * waits, and a later publish or subscription correlates.
   */
  private forwardCommand(effect: Extract<SideEffect, { kind: 'send-command' }>): void {
    if (this.commandRouter !== undefined) {
      const { valueType, intent, key, value } = effect.command;
      this.commandRouter(effect.partitionId, { valueType, intent, key, value: value as Record['value'] });
      return;
    }
    const target = this.partitions.find((candidate) => candidate.partitionId === effect.partitionId);
    const { valueType, intent, key, value } = effect.command;
    try {
      target?.submit({ valueType, intent, key, value: value as Record['value'] });
    } catch {
      // See above.
    }
  }

  /** Wakes the long polls waiting for jobs of this type. */
  notifyJobsAvailable(jobType: string): void {
    for (const listener of this.jobListeners) listener(jobType);
  }

  /** In a cluster, the partition a command goes to may live on another broker. */
  routeCommandsWith(router: (partitionId: number, command: NewCommand) => void): void {
    this.commandRouter = router;
  }

  /** Fails one waiting request (its command was accepted but will never be answered). */
  failRequest(requestId: number, error: Error): void {
    const request = this.pending.get(requestId);
    if (!request) return;
    this.pending.delete(requestId);
    clearTimeout(request.timer);
    request.reject(error);
  }

  /** Fails every request waiting for one partition (its storage failed); the other partitions' go on. */
  failPartition(partitionId: number, error: Error): void {
    for (const [requestId, request] of this.pending) {
      if (request.partitionId !== partitionId) continue;
      clearTimeout(request.timer);
      request.reject(error);
      this.pending.delete(requestId);
    }
  }
}
