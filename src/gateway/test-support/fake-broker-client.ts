import {
  BROKER_VERSION,
  encodeKey,
  type Intent,
  type Record,
  type RecordValue,
  type RejectionType,
  type ValueType,
} from '../../protocol/index.js';
import type { ActivatedJobRecord, BrokerClient, CommandRequest, JobStreamRequest, Topology } from '../broker-client.js';

/** A command as the fake broker received it. */
export interface SentCommand {
  partitionId: number;
  command: CommandRequest;
  timeoutMs: number | undefined;
}

export interface OpenJobStream {
  request: JobStreamRequest;
  push: (job: ActivatedJobRecord) => boolean;
  closed: boolean;
}

/** The event each command intent answers with when a test does not say otherwise. */
const EVENT_OF: { [command: string]: [ValueType, Intent] } = {
  'DEPLOYMENT:CREATE': ['DEPLOYMENT', 'CREATED'],
  'PROCESS_INSTANCE_CREATION:CREATE': ['PROCESS_INSTANCE_CREATION', 'CREATED'],
  'PROCESS_INSTANCE_CREATION:CREATE_WITH_AWAITING_RESULT': ['PROCESS_INSTANCE_RESULT', 'COMPLETED'],
  'PROCESS_INSTANCE:CANCEL': ['PROCESS_INSTANCE', 'ELEMENT_TERMINATING'],
  'JOB:COMPLETE': ['JOB', 'COMPLETED'],
  'JOB:FAIL': ['JOB', 'FAILED'],
  'JOB:THROW_ERROR': ['JOB', 'ERROR_THROWN'],
  'JOB:UPDATE_RETRIES': ['JOB', 'RETRIES_UPDATED'],
  'JOB:UPDATE_TIMEOUT': ['JOB', 'TIMEOUT_UPDATED'],
  'JOB_BATCH:ACTIVATE': ['JOB_BATCH', 'ACTIVATED'],
  'VARIABLE_DOCUMENT:UPDATE': ['VARIABLE_DOCUMENT', 'UPDATED'],
  'INCIDENT:RESOLVE': ['INCIDENT', 'RESOLVED'],
};

/**
 * A BrokerClient for gateway tests: it records every command and answers with what the test's `respond` returns
 * (by default an event echoing the command's value). Tests announce jobs and push streamed jobs through it.
 */
export class FakeBrokerClient implements BrokerClient {
  readonly commands: SentCommand[] = [];
  readonly jobStreams: OpenJobStream[] = [];
  partitions = [1, 2, 3];
  respond: (sent: SentCommand) => Record | Promise<Record> = (sent) => eventFor(sent);
  private readonly jobListeners = new Set<(jobType: string) => void>();
  private nextPartitionIndex = 0;

  topology(): Topology {
    return {
      brokers: [
        {
          nodeId: 0,
          host: '127.0.0.1',
          port: 26501,
          version: BROKER_VERSION,
          partitions: this.partitions.map((partitionId) => ({ partitionId, role: 'LEADER', health: 'HEALTHY' })),
        },
      ],
      clusterSize: 1,
      partitionsCount: this.partitions.length,
      replicationFactor: 1,
      gatewayVersion: BROKER_VERSION,
    };
  }

  partitionForNewInstance(): number {
    const partitionId = this.partitions[this.nextPartitionIndex % this.partitions.length];
    this.nextPartitionIndex++;
    return partitionId;
  }

  partitionIds(): number[] {
    return this.partitions;
  }

  async sendCommand(partitionId: number, command: CommandRequest, options?: { timeoutMs?: number }): Promise<Record> {
    const sent = { partitionId, command, timeoutMs: options?.timeoutMs };
    this.commands.push(sent);
    return this.respond(sent);
  }

  onJobsAvailable(listener: (jobType: string) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  openJobStream(request: JobStreamRequest, push: (job: ActivatedJobRecord) => boolean): () => void {
    const stream: OpenJobStream = { request, push, closed: false };
    this.jobStreams.push(stream);
    return () => {
      stream.closed = true;
    };
  }

  notifyJobsAvailable(jobType: string): void {
    for (const listener of this.jobListeners) listener(jobType);
  }

  commandsOf(valueType: ValueType): SentCommand[] {
    return this.commands.filter((sent) => sent.command.valueType === valueType);
  }
}

let localKey = 1n;

/** A fresh key on the partition. */
export function keyOn(partitionId: number): bigint {
  return encodeKey(partitionId, localKey++);
}

export function record(fields: Partial<Record> & Pick<Record, 'valueType' | 'intent' | 'value'>): Record {
  return {
    partitionId: 1,
    position: 1,
    sourceRecordPosition: -1,
    key: -1n,
    timestamp: Date.now(),
    recordType: 'EVENT',
    rejectionType: 'NULL_VAL',
    rejectionReason: '',
    brokerVersion: BROKER_VERSION,
    ...fields,
  };
}

/** The default answer: the command's event, echoing its value, keyed like the command or with a fresh key. */
export function eventFor(sent: SentCommand, value: RecordValue = sent.command.value): Record {
  const [valueType, intent] = EVENT_OF[`${sent.command.valueType}:${sent.command.intent}`] ?? [sent.command.valueType, sent.command.intent];
  const key = sent.command.key >= 0n ? sent.command.key : keyOn(sent.partitionId);
  return record({ partitionId: sent.partitionId, key, valueType, intent, value });
}

export function rejectionOf(sent: SentCommand, rejectionType: RejectionType, rejectionReason: string): Record {
  return record({
    partitionId: sent.partitionId,
    key: sent.command.key,
    recordType: 'COMMAND_REJECTION',
    valueType: sent.command.valueType,
    intent: sent.command.intent,
    rejectionType,
    rejectionReason,
    value: sent.command.value,
  });
}
