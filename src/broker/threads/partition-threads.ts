import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ComponentHealth } from '../../http/index.js';
import type { BrokerConfig } from '../broker-config.js';
import { ClusterBrokerClient } from '../cluster/cluster-broker-client.js';
import type { LocalBrokerClient } from '../local-broker-client.js';
import { mergeExpositions } from './merge-expositions.js';
import { ThreadTransport } from './thread-transport.js';

/** What the main thread hands a partition thread (structured-cloned; the ports are transferred). */
export interface PartitionWorkerData {
  config: BrokerConfig;
  nodeId: number;
  threadCount: number;
  partitionIds: number[];
  ports: [number, MessagePort][];
}

/** Messages from a partition thread to the main thread. */
export type PartitionWorkerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'report'; requestId: number; report: ThreadReport }
  | { type: 'stopped' };

/** Messages from the main thread to a partition thread. */
export type MainThreadMessage = { type: 'report'; requestId: number } | { type: 'stop' };

/** What a partition thread reports for /metrics and /health: fresh at each request. */
export interface ThreadReport {
  metrics: string;
  components: ComponentHealth[];
}

/** The main thread is node 0 of the threads; partition threads are 1 to threadCount. */
const MAIN_THREAD_NODE_ID = 0;
const THREAD_START_TIMEOUT_MS = 60_000;
const THREAD_STOP_TIMEOUT_MS = 60_000;
const LEADERS_KNOWN_TIMEOUT_MS = 10_000;
/** A thread that does not answer a report request within this long is reported with what it said last. */
const REPORT_TIMEOUT_MS = 2_000;

interface Thread {
  worker: Worker;
  lastReport: ThreadReport;
  waiting: Map<number, (report: ThreadReport) => void>;
}

/**
 * A broker's partitions on worker threads, so that processing, the log and RocksDB run beside the gateway instead
 * of sharing its event loop. Each thread runs the partitions p with (p - 1) mod threadCount = its index, with their
 * exporters and snapshots; the gateway on the main thread reaches them with the cluster's command forwarding over
 * message ports, and the threads reach each other the same way (deployment distribution, message correlation).
 */
export class PartitionThreads {
  private constructor(
    readonly client: ClusterBrokerClient,
    private readonly transport: ThreadTransport,
    private readonly threads: Thread[],
  ) {}

  static async start(options: { config: BrokerConfig; threadCount: number; local: LocalBrokerClient; gatewayAddress: () => { host: string; port: number } }): Promise<PartitionThreads> {
    const { config } = options;
    const threadCount = Math.min(options.threadCount, config.partitionCount);
    const ports = meshOfPorts(threadCount + 1);
    const threads: Thread[] = [];
    const transport = new ThreadTransport(ports.get(MAIN_THREAD_NODE_ID)!);
    const client = new ClusterBrokerClient({
      nodeId: MAIN_THREAD_NODE_ID,
      clusterSize: threadCount + 1,
      partitionCount: config.partitionCount,
      replicationFactor: 1,
      transport,
      local: options.local,
      replicas: () => [],
      gatewayAddress: options.gatewayAddress,
      presentAsBroker: config.nodeId,
    });
    client.start();
    const started = new PartitionThreads(client, transport, threads);
    try {
      for (let nodeId = 1; nodeId <= threadCount; nodeId++) {
        const partitionIds = Array.from({ length: config.partitionCount }, (_, index) => index + 1).filter((partitionId) => (partitionId - 1) % threadCount === nodeId - 1);
        threads.push(await startThread({ config, nodeId, threadCount, partitionIds, ports: [...ports.get(nodeId)!] }));
      }
      await started.waitForLeaders(config.partitionCount);
    } catch (error) {
      await started.stop();
      throw error;
    }
    return started;
  }

  private nextRequestId = 1;

  /** Every thread's metrics (merged into one exposition) and partition health, asked for now. */
  async report(): Promise<ThreadReport> {
    const reports = await Promise.all(this.threads.map((thread) => this.ask(thread)));
    return { metrics: mergeExpositions(reports.map((report) => report.metrics)), components: reports.flatMap((report) => report.components) };
  }

  private ask(thread: Thread): Promise<ThreadReport> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        thread.waiting.delete(requestId);
        resolve(thread.lastReport);
      }, REPORT_TIMEOUT_MS);
      thread.waiting.set(requestId, (report) => {
        clearTimeout(timer);
        resolve(report);
      });
      thread.worker.postMessage({ type: 'report', requestId } satisfies MainThreadMessage);
    });
  }

  /** Stops every thread (each stops its partitions and exporters gracefully), then the ports. */
  async stop(): Promise<void> {
    this.client.close();
    await Promise.all(this.threads.map((thread) => stopThread(thread.worker)));
    this.transport.close();
  }

  private async waitForLeaders(partitionCount: number): Promise<void> {
    const deadline = Date.now() + LEADERS_KNOWN_TIMEOUT_MS;
    for (let partitionId = 1; partitionId <= partitionCount; partitionId++) {
      while (this.client.leaderOf(partitionId) === undefined) {
        if (Date.now() > deadline) throw new Error(`Expected the thread of partition ${partitionId} to announce itself within ${LEADERS_KNOWN_TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

/** One MessageChannel per pair of threads: ports.get(a).get(b) talks to b from a. */
function meshOfPorts(nodeCount: number): Map<number, Map<number, MessagePort>> {
  const ports = new Map<number, Map<number, MessagePort>>();
  for (let nodeId = 0; nodeId < nodeCount; nodeId++) ports.set(nodeId, new Map());
  for (let a = 0; a < nodeCount; a++) {
    for (let b = a + 1; b < nodeCount; b++) {
      const channel = new MessageChannel();
      ports.get(a)!.set(b, channel.port1);
      ports.get(b)!.set(a, channel.port2);
    }
  }
  return ports;
}

function startThread(data: PartitionWorkerData): Promise<Thread> {
  const worker = new Worker(new URL('./partition-worker.js', import.meta.url), { workerData: data, transferList: data.ports.map(([, port]) => port) });
  const thread: Thread = { worker, lastReport: { metrics: '', components: [] }, waiting: new Map() };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Expected partition thread ${data.nodeId} to start within ${THREAD_START_TIMEOUT_MS} ms`)), THREAD_START_TIMEOUT_MS);
    worker.on('message', (message: PartitionWorkerMessage) => {
      if (message.type === 'report') {
        thread.lastReport = message.report;
        thread.waiting.get(message.requestId)?.(message.report);
        thread.waiting.delete(message.requestId);
      }
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(thread);
      }
      if (message.type === 'failed') {
        clearTimeout(timer);
        void worker.terminate();
        reject(new Error(`Partition thread ${data.nodeId} (partitions ${data.partitionIds.join(', ')}) could not start: ${message.message}`));
      }
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function stopThread(worker: Worker): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, THREAD_STOP_TIMEOUT_MS);
    worker.on('message', (message: PartitionWorkerMessage) => {
      if (message.type !== 'stopped') return;
      clearTimeout(timer);
      resolve();
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  worker.postMessage({ type: 'stop' } satisfies MainThreadMessage);
  await stopped;
  await worker.terminate();
}
