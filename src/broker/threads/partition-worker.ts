import { parentPort, workerData } from 'node:worker_threads';
import { Broker } from '../broker.js';
import { BrokerMonitoring } from '../broker-monitoring.js';
import type { MainThreadMessage, PartitionWorkerData, PartitionWorkerMessage } from './partition-threads.js';
import { ThreadTransport } from './thread-transport.js';

/**
 * A partition thread: a broker without gateway or monitoring that runs some of the broker's partitions, their
 * exporters and snapshots, and serves the commands the main thread's gateway (or another thread) forwards to them.
 */
async function main(): Promise<void> {
  const data = workerData as PartitionWorkerData;
  const port = parentPort!;
  const post = (message: PartitionWorkerMessage): void => port.postMessage(message);
  const transport = new ThreadTransport(new Map(data.ports));
  const broker = new Broker({ ...data.config, threadMember: { nodeId: data.nodeId, threadCount: data.threadCount, partitionIds: data.partitionIds, transport } });
  try {
    await broker.start();
  } catch (error) {
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const monitoring = new BrokerMonitoring(broker);
  post({ type: 'ready' });
  port.on('message', (message: MainThreadMessage) => {
    if (message.type === 'report') {
      post({ type: 'report', requestId: message.requestId, report: { metrics: broker.metrics.exposition(), components: monitoring.partitionComponents() } });
      return;
    }
    broker.stop().finally(() => {
      post({ type: 'stopped' });
      transport.close();
      port.close();
    });
  });
}

void main();
