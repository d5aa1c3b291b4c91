import { hostname } from 'node:os';
import { ERROR_CATALOGUE, TributaryError, type ErrorCode } from '../../errors.js';
import type { ActivatedJobRecord, BrokerClient, BrokerInfo, CommandRequest, JobStreamRequest, Topology } from '../../gateway/broker-client.js';
import { BROKER_VERSION, partitionIdOf, type Record } from '../../protocol/index.js';
import { GatewayAdmission, isAlwaysAccepted } from '../backpressure/index.js';
import type { LocalBrokerClient } from '../local-broker-client.js';
import { BROKER_CHANNEL, decodeBrokerMessage, encodeBrokerMessage, type BrokerAnnouncement, type BrokerMessage } from './broker-messages.js';

/**
 * How brokers (or a broker's partition threads) reach each other beside Raft: the TCP transport between brokers, or
 * message ports between the threads of one broker.
 */
export interface BrokerTransport {
  readonly peerIds: number[];
  sendApplication(nodeId: number, channel: number, bytes: Uint8Array): void;
  subscribeApplication(channel: number, handler: (fromNodeId: number, bytes: Buffer) => void): () => void;
  peerStatus(nodeId: number): { connected: boolean };
}

/** What the client needs to know of a partition replica on this node. */
export interface RoutedReplica {
  readonly partitionId: number;
  readonly role: 'LEADER' | 'FOLLOWER';
  readonly term: number;
  readonly healthy: boolean;
}

export interface ClusterBrokerClientOptions {
  nodeId: number;
  clusterSize: number;
  partitionCount: number;
  replicationFactor: number;
  transport: BrokerTransport;
  /** Delivers commands to the partitions this broker leads, and answers them. */
  local: LocalBrokerClient;
  /** This broker's replicas. */
  replicas: () => readonly RoutedReplica[];
  /** Where clients reach this broker's gateway. */
  gatewayAddress: () => { host: string; port: number };
  announceIntervalMs?: number;
  /**
   * Partition threads of one broker: the topology shows one broker (this id, this gateway) holding every partition,
   * not the threads.
   */
  presentAsBroker?: number;
  /**
   * Partition threads share one clock: a forwarded command that waited longer than this in the thread's message
   * queue is refused with RESOURCE_EXHAUSTED (unless it is always accepted), because the partition's own limit only
   * sees commands once they leave that queue. Left out between brokers, whose clocks differ.
   */
  queueDelayMaxMs?: number;
}

interface RemoteRequest {
  nodeId: number;
  partitionId: number;
  resolve: (record: Record) => void;
  reject: (error: Error) => void;
  deadlineMs: number;
  timeoutMs: number;
  command: CommandRequest;
}

const REQUEST_TIMEOUT_DEFAULT_MS = 30_000;
const ANNOUNCE_INTERVAL_DEFAULT_MS = 250;
/** A broker not heard of for this many announce intervals counts as gone. */
const ANNOUNCEMENTS_MISSED_MAX = 8;
const RETRY_DELAY_MIN_MS = 25;
const RETRY_DELAY_MAX_MS = 400;
/**
 * How often forwarded requests are checked against their deadlines. One sweep for all of them instead of a timer
 * per request: the timer, its closure and its list entry were a tenth of what the gateway's thread promoted to the
 * old generation (heap sampling, session 6). A request so fails up to this much after its deadline.
 */
const DEADLINE_SWEEP_INTERVAL_MS = 10;
/** Errors after which the command surely or possibly did not reach a leader: the gateway tries again. */
const RETRIED_CODES = new Set<string>(['NOT_LEADER', 'PARTITION_UNAVAILABLE', 'LEADER_CHANGED', 'SHUTTING_DOWN']);

/**
 * The gateway's view of a cluster: it learns the leaders from the brokers' announcements (sent to every other broker
 * periodically and on every role change), writes a command at its partition's leader (here, or forwarded over the
 * broker-to-broker connection), and tries again within the request's timeout while a partition has no leader or
 * its leader changes.
 */
export class ClusterBrokerClient implements BrokerClient {
  private readonly announcements = new Map<number, { announcement: BrokerAnnouncement; receivedAtMs: number }>();
  private readonly remoteRequests = new Map<number, RemoteRequest>();
  private nextRequestId = 1;
  /** This gateway's job streams, opened at every other broker too (and again after a reconnect). */
  private readonly streams = new Map<number, { request: JobStreamRequest; push: (job: ActivatedJobRecord) => boolean; closeLocal: () => void }>();
  private nextStreamId = 1;
  /** Other gateways' streams served by the partitions this broker leads, by `node:stream`. */
  private readonly remoteStreams = new Map<string, { nodeId: number; close: () => void }>();
  private roundRobin = 0;
  private announceTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private unsubscribe: () => void = () => undefined;
  private closed = false;
  /** Refuses commands at once, here, while their partition is known to be at its limit. */
  readonly admission = new GatewayAdmission();
  /** Forwarded commands refused for waiting longer than queueDelayMaxMs, by partition. */
  readonly queueDelayRefused = new Map<number, number>();

  constructor(private readonly options: ClusterBrokerClientOptions) {}

  start(): void {
    this.unsubscribe = this.options.transport.subscribeApplication(BROKER_CHANNEL, (from, bytes) => this.receive(from, bytes));
    const intervalMs = this.options.announceIntervalMs ?? ANNOUNCE_INTERVAL_DEFAULT_MS;
    this.announceTimer = setInterval(() => {
      this.announce();
      this.failRequestsToLostLeaders();
      this.closeStreamsOfLostPeers();
    }, intervalMs);
    this.announceTimer.unref();
    this.announce();
  }

  close(): void {
    this.closed = true;
    if (this.announceTimer) clearInterval(this.announceTimer);
    if (this.deadlineTimer) clearInterval(this.deadlineTimer);
    this.unsubscribe();
    const error = new TributaryError('SHUTTING_DOWN', `Broker ${this.options.nodeId} is shutting down`);
    for (const request of this.remoteRequests.values()) request.reject(error);
    this.remoteRequests.clear();
    for (const stream of this.remoteStreams.values()) stream.close();
    this.remoteStreams.clear();
  }

  /** Tells every other broker what this one leads and follows; called on every role change too. */
  announce(): void {
    if (this.closed) return;
    const message = encodeBrokerMessage({ type: 'topology', announcement: this.ownAnnouncement() });
    for (const peer of this.options.transport.peerIds) this.options.transport.sendApplication(peer, BROKER_CHANNEL, message);
    // Streams are opened again with every announcement: a broker that restarted (or lost the connection) knows them again.
    for (const [streamId, stream] of this.streams) this.broadcast({ type: 'stream-open', streamId, request: stream.request });
  }

  private broadcast(message: BrokerMessage): void {
    const bytes = encodeBrokerMessage(message);
    for (const peer of this.options.transport.peerIds) this.options.transport.sendApplication(peer, BROKER_CHANNEL, bytes);
  }

  /** Wakes the long polls of the other brokers' gateways. */
  broadcastJobsAvailable(jobType: string): void {
    const message = encodeBrokerMessage({ type: 'jobs-available', jobType });
    for (const peer of this.options.transport.peerIds) this.options.transport.sendApplication(peer, BROKER_CHANNEL, message);
  }

  topology(): Topology {
    const leaders = new Map<number, number>();
    for (let partitionId = 1; partitionId <= this.options.partitionCount; partitionId++) {
      const leader = this.leaderOf(partitionId);
      if (leader !== undefined) leaders.set(partitionId, leader);
    }
    // A broker that still claims a partition another one leads in a later term shows as its follower.
    let brokers: BrokerInfo[] = [toBrokerInfo(this.ownAnnouncement(), leaders)];
    for (const { announcement } of this.freshAnnouncements()) brokers.push(toBrokerInfo(announcement, leaders));
    if (this.options.presentAsBroker !== undefined) {
      const partitions = brokers.flatMap((broker) => broker.partitions).sort((a, b) => a.partitionId - b.partitionId);
      brokers = [{ ...brokers[0], nodeId: this.options.presentAsBroker, partitions }];
    }
    brokers.sort((a, b) => a.nodeId - b.nodeId);
    return {
      brokers,
      clusterSize: this.options.presentAsBroker === undefined ? this.options.clusterSize : 1,
      partitionsCount: this.options.partitionCount,
      replicationFactor: this.options.replicationFactor,
      gatewayVersion: BROKER_VERSION,
    };
  }

  partitionForNewInstance(): number {
    return (this.roundRobin++ % this.options.partitionCount) + 1;
  }

  partitionIds(): number[] {
    return Array.from({ length: this.options.partitionCount }, (_, index) => index + 1);
  }

  async sendCommand(partitionId: number, command: CommandRequest, options: { timeoutMs?: number } = {}): Promise<Record> {
    if (isAlwaysAccepted(command)) return this.sendWithRetries(partitionId, command, options);
    if (!this.admission.admit(partitionId, Date.now())) {
      throw new TributaryError('RESOURCE_EXHAUSTED', `Expected to handle the request, but partition ${partitionId} is overloaded (it refused the commands before this one); retry later`);
    }
    try {
      const record = await this.sendWithRetries(partitionId, command, options);
      this.admission.onAnswered(partitionId);
      return record;
    } catch (error) {
      const code = error instanceof TributaryError ? error.code : undefined;
      if (code === 'RESOURCE_EXHAUSTED') this.admission.onRefused(partitionId, Date.now());
      // The partition's slot is freed when it times the request out, as the gateway does.
      if (code === 'DEADLINE_EXCEEDED') this.admission.onAnswered(partitionId);
      throw error;
    }
  }

  private async sendWithRetries(partitionId: number, command: CommandRequest, options: { timeoutMs?: number }): Promise<Record> {
    const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : REQUEST_TIMEOUT_DEFAULT_MS;
    const deadline = Date.now() + timeoutMs;
    let delayMs = RETRY_DELAY_MIN_MS;
    for (;;) {
      let failure: Error;
      try {
        return await this.sendOnce(partitionId, command, deadline - Date.now());
      } catch (error) {
        if (!(error instanceof TributaryError) || !RETRIED_CODES.has(error.code)) throw error;
        failure = error;
      }
      if (this.closed || Date.now() + delayMs >= deadline) throw failure;
      await sleep(delayMs);
      delayMs = Math.min(RETRY_DELAY_MAX_MS, delayMs * 2);
    }
  }

  onJobsAvailable(listener: (jobType: string) => void): () => void {
    return this.options.local.onJobsAvailable(listener);
  }

  /**
   * A job stream is opened at every broker: the partitions each one leads push jobs to this gateway. A job this
   * gateway cannot hand over any more is given back (JOB YIELD) at its partition.
   */
  openJobStream(request: JobStreamRequest, push: (job: ActivatedJobRecord) => boolean): () => void {
    const streamId = this.nextStreamId++;
    const closeLocal = this.options.local.openJobStream(request, push);
    this.streams.set(streamId, { request, push, closeLocal });
    this.broadcast({ type: 'stream-open', streamId, request });
    return () => {
      if (!this.streams.delete(streamId)) return;
      closeLocal();
      this.broadcast({ type: 'stream-close', streamId });
    };
  }

  /** The node leading the partition, as far as this broker knows. */
  leaderOf(partitionId: number): number | undefined {
    const local = this.options.replicas().find((replica) => replica.partitionId === partitionId);
    if (local?.role === 'LEADER') return this.options.nodeId;
    // Asked for every request: loops, no arrays or objects made.
    const oldestMs = this.freshSinceMs();
    let leaderNodeId: number | undefined;
    let leaderTerm = -1;
    for (const entry of this.announcements.values()) {
      if (!this.isFresh(entry, oldestMs)) continue;
      for (const partition of entry.announcement.partitions) {
        if (partition.partitionId !== partitionId || partition.role !== 'LEADER' || partition.term <= leaderTerm) continue;
        leaderNodeId = entry.announcement.nodeId;
        leaderTerm = partition.term;
      }
    }
    if (leaderNodeId !== undefined && local !== undefined && local.term > leaderTerm) return undefined;
    return leaderNodeId;
  }

  private sendOnce(partitionId: number, command: CommandRequest, remainingMs: number): Promise<Record> {
    const leader = this.leaderOf(partitionId);
    if (leader === this.options.nodeId) return this.options.local.sendCommand(partitionId, command, { timeoutMs: remainingMs });
    if (leader === undefined) {
      return Promise.reject(new TributaryError('PARTITION_UNAVAILABLE', `Expected partition ${partitionId} to have a leader, but none is known right now`));
    }
    return this.sendRemote(leader, partitionId, command, remainingMs);
  }

  private sendRemote(nodeId: number, partitionId: number, command: CommandRequest, timeoutMs: number): Promise<Record> {
    const requestId = this.nextRequestId++;
    this.startDeadlineSweep();
    return new Promise<Record>((resolve, reject) => {
      const nowMs = Date.now();
      this.remoteRequests.set(requestId, { nodeId, partitionId, resolve, reject, deadlineMs: nowMs + timeoutMs, timeoutMs, command });
      const message = encodeBrokerMessage({ type: 'command', requestId, partitionId, timeoutMs, sentAtMs: nowMs, command });
      this.options.transport.sendApplication(nodeId, BROKER_CHANNEL, message);
    });
  }

  private receive(from: number, bytes: Buffer): void {
    let message: BrokerMessage;
    try {
      message = decodeBrokerMessage(bytes);
    } catch {
      return;
    }
    switch (message.type) {
      case 'command':
        return this.serveCommand(from, message);
      case 'response':
        this.takeRequest(message.requestId)?.resolve(message.record);
        return;
      case 'failure':
        this.takeRequest(message.requestId)?.reject(toError(message.code, message.message));
        return;
      case 'topology':
        this.announcements.set(from, { announcement: message.announcement, receivedAtMs: Date.now() });
        return;
      case 'jobs-available':
        this.options.local.notifyJobsAvailable(message.jobType);
        return;
      case 'stream-open':
        return this.openRemoteStream(from, message.streamId, message.request);
      case 'stream-close':
        this.remoteStreams.get(`${from}:${message.streamId}`)?.close();
        this.remoteStreams.delete(`${from}:${message.streamId}`);
        return;
      case 'job-push':
        return this.receivePushedJob(message.streamId, message.job);
    }
  }

  private openRemoteStream(from: number, streamId: number, request: JobStreamRequest): void {
    const id = `${from}:${streamId}`;
    if (this.remoteStreams.has(id)) return;
    const close = this.options.local.openJobStream(request, (job) => {
      this.options.transport.sendApplication(from, BROKER_CHANNEL, encodeBrokerMessage({ type: 'job-push', streamId, job }));
      return true;
    });
    this.remoteStreams.set(id, { nodeId: from, close });
  }

  private receivePushedJob(streamId: number, job: ActivatedJobRecord): void {
    if (this.streams.get(streamId)?.push(job) === true) return;
    this.sendCommand(partitionIdOf(job.key), { valueType: 'JOB', intent: 'YIELD', key: job.key, value: {} }).catch(() => undefined);
  }

  /** Streams of a gateway whose connection dropped stop getting jobs; it opens them again when it is back. */
  private closeStreamsOfLostPeers(): void {
    for (const [id, stream] of this.remoteStreams) {
      if (this.options.transport.peerStatus(stream.nodeId).connected) continue;
      stream.close();
      this.remoteStreams.delete(id);
    }
  }

  /** A command another broker's gateway forwarded to a partition this broker leads. */
  private serveCommand(from: number, message: Extract<BrokerMessage, { type: 'command' }>): void {
    const reply = (answer: BrokerMessage): void => {
      if (message.requestId !== 0) this.options.transport.sendApplication(from, BROKER_CHANNEL, encodeBrokerMessage(answer));
    };
    const queueDelayMaxMs = this.options.queueDelayMaxMs;
    if (queueDelayMaxMs !== undefined && Date.now() - message.sentAtMs > queueDelayMaxMs && !isAlwaysAccepted(message.command)) {
      const waitedMs = Date.now() - message.sentAtMs;
      this.queueDelayRefused.set(message.partitionId, (this.queueDelayRefused.get(message.partitionId) ?? 0) + 1);
      reply({ type: 'failure', requestId: message.requestId, code: 'RESOURCE_EXHAUSTED', message: `Expected to handle the request, but partition ${message.partitionId} is overloaded (the request waited ${waitedMs} ms to reach it); retry later` });
      return;
    }
    const local = this.options.replicas().find((replica) => replica.partitionId === message.partitionId);
    if (local?.role !== 'LEADER') {
      reply({ type: 'failure', requestId: message.requestId, code: 'NOT_LEADER', message: `Broker ${this.options.nodeId} does not lead partition ${message.partitionId}` });
      return;
    }
    this.options.local.sendCommand(message.partitionId, message.command, { timeoutMs: message.timeoutMs }).then(
      (record) => reply({ type: 'response', requestId: message.requestId, record }),
      (error: Error) => reply({ type: 'failure', requestId: message.requestId, code: error instanceof TributaryError ? error.code : 'INTERNAL', message: error.message }),
    );
  }

  /** The request an answer is for, no longer waiting (undefined if it timed out or failed before). */
  private takeRequest(requestId: number): RemoteRequest | undefined {
    const request = this.remoteRequests.get(requestId);
    if (request !== undefined) this.remoteRequests.delete(requestId);
    return request;
  }

  private startDeadlineSweep(): void {
    if (this.deadlineTimer !== undefined || this.closed) return;
    this.deadlineTimer = setInterval(() => this.failExpiredRequests(Date.now()), DEADLINE_SWEEP_INTERVAL_MS);
    // Requests in flight keep the process alive through the transport they wait on, not through this timer.
    this.deadlineTimer.unref();
  }

  private failExpiredRequests(nowMs: number): void {
    if (this.remoteRequests.size === 0) {
      // Nothing waits: an idle broker does not wake up a hundred times a second. The next request starts it again.
      clearInterval(this.deadlineTimer);
      this.deadlineTimer = undefined;
      return;
    }
    for (const [requestId, request] of this.remoteRequests) {
      if (request.deadlineMs > nowMs) continue;
      const { nodeId, command, timeoutMs } = request;
      this.remoteRequests.delete(requestId);
      request.reject(new TributaryError('DEADLINE_EXCEEDED', `Expected broker ${nodeId} to answer the ${command.valueType} ${command.intent} command within ${timeoutMs} ms, but it did not`));
    }
  }

  /**
   * A leader that was killed never answers: its requests fail (and are tried again) once its connection is down or
   * another broker leads the partition.
   */
  private failRequestsToLostLeaders(): void {
    for (const [requestId, request] of this.remoteRequests) {
      const connected = this.options.transport.peerStatus(request.nodeId).connected;
      if (connected && this.leaderOf(request.partitionId) === request.nodeId) continue;
      this.remoteRequests.delete(requestId);
      request.reject(new TributaryError('LEADER_CHANGED', `Broker ${request.nodeId} stopped leading partition ${request.partitionId} (or went away) before it answered`));
    }
  }

  private freshAnnouncements(): { announcement: BrokerAnnouncement }[] {
    const oldestMs = this.freshSinceMs();
    return [...this.announcements.values()].filter((entry) => this.isFresh(entry, oldestMs));
  }

  private freshSinceMs(): number {
    return Date.now() - ANNOUNCEMENTS_MISSED_MAX * (this.options.announceIntervalMs ?? ANNOUNCE_INTERVAL_DEFAULT_MS);
  }

  /** A broker whose connection dropped (killed, restarting) is gone at once, not after its announcements expire. */
  private isFresh(entry: { announcement: BrokerAnnouncement; receivedAtMs: number }, oldestMs: number): boolean {
    return entry.receivedAtMs >= oldestMs && this.options.transport.peerStatus(entry.announcement.nodeId).connected;
  }

  private ownAnnouncement(): BrokerAnnouncement {
    const address = this.options.gatewayAddress();
    return {
      nodeId: this.options.nodeId,
      // A broker bound to every interface advertises its host name, as Zeebe does.
      host: address.host === '0.0.0.0' || address.host === '::' ? hostname() : address.host,
      port: address.port,
      version: BROKER_VERSION,
      partitions: this.options.replicas().map((replica) => ({ partitionId: replica.partitionId, role: replica.role, term: replica.term, healthy: replica.healthy })),
    };
  }
}

function toBrokerInfo(announcement: BrokerAnnouncement, leaders: Map<number, number>): BrokerInfo {
  return {
    nodeId: announcement.nodeId,
    host: announcement.host,
    port: announcement.port,
    version: announcement.version,
    partitions: announcement.partitions.map((partition) => ({
      partitionId: partition.partitionId,
      role: partition.role === 'LEADER' && leaders.get(partition.partitionId) !== announcement.nodeId ? ('FOLLOWER' as const) : partition.role,
      health: partition.healthy ? ('HEALTHY' as const) : ('UNHEALTHY' as const),
    })),
  };
}

function toError(code: string, message: string): TributaryError {
  return new TributaryError(code in ERROR_CATALOGUE ? (code as ErrorCode) : 'INTERNAL', message);
}

function sleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}
