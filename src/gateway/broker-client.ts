import type { Intent, JobRecordValue, Record, RecordValue, ValueType } from '../protocol/index.js';

/**
 * What the gateway needs from the brokers. The broker implements it in process today; a cluster implements it
 * over the network later, so the gateway never reads engine state: it sends commands and gets responses.
 */
export interface BrokerClient {
  topology(): Topology;
  /** The partition a new process instance goes to (round-robin over partitions). */
  partitionForNewInstance(): number;
  partitionIds(): number[];
  /**
   * Writes a command on the partition's leader and resolves, once it is processed and committed, with the response
   * record: an event when accepted, a COMMAND_REJECTION otherwise. Rejects with a TributaryError (errors.ts) when
   * the command could not be written (back-pressure, no leader, timeout, shutdown).
   */
  sendCommand(partitionId: number, command: CommandRequest, options?: { timeoutMs?: number }): Promise<Record>;
  /** Calls the listener whenever jobs of a type may have become activatable; the gateway wakes long polls. */
  onJobsAvailable(listener: (jobType: string) => void): () => void;
  /**
   * Opens a job stream (StreamActivatedJobs): the broker activates jobs of the type for this stream as they become
   * activatable and calls push after the activation is committed. Returns a function that closes the stream.
   * push returns false when the job could not be handed to the client (the stream is closed or cancelled); the
   * broker should then give the job back (JOB YIELD) so that another worker can activate it at once.
   */
  openJobStream(request: JobStreamRequest, push: (job: ActivatedJobRecord) => boolean): () => void;
}

export interface CommandRequest {
  valueType: ValueType;
  intent: Intent;
  /** The key of the entity the command is about (a job key, an instance key); -1n when there is none. */
  key: bigint;
  value: RecordValue;
}

export interface JobStreamRequest {
  type: string;
  worker: string;
  timeoutMs: number;
  fetchVariables: string[];
  tenantIds: string[];
}

export interface ActivatedJobRecord {
  key: bigint;
  value: JobRecordValue;
}

export interface Topology {
  brokers: BrokerInfo[];
  clusterSize: number;
  partitionsCount: number;
  replicationFactor: number;
  gatewayVersion: string;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  version: string;
  partitions: { partitionId: number; role: 'LEADER' | 'FOLLOWER' | 'INACTIVE'; health: 'HEALTHY' | 'UNHEALTHY' | 'DEAD' }[];
}
