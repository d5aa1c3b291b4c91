import net from 'node:net';
import { BrokerProcess, type ExportedRecord } from './broker-process.js';

/** Raft ticks in cluster tests: elections within a second, so failover is quick to observe. */
const RAFT_TICK_MS = 50;

/** Starting a cluster again when a picked port was taken meanwhile: three tries, then the error stands. */
const START_ATTEMPTS_MAX = 3;

interface ClusterOptions {
  size: number;
  partitions: number;
  replicationFactor: number;
  args?: string[];
}

/** A cluster of real broker processes on loopback, each with its own data directory and JSON-lines export. */
export class ClusterProcesses {
  private constructor(readonly brokers: BrokerProcess[]) {}

  /**
   * Starts size brokers, every partition replicated on replicationFactor of them. The internal ports are picked
   * before any broker binds them (each broker's contact points name them all), so another process can take one in
   * between: then the whole cluster starts again on fresh ports.
   */
  static async start(options: ClusterOptions): Promise<ClusterProcesses> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ClusterProcesses.startOnFreshPorts(options);
      } catch (error) {
        if (attempt >= START_ATTEMPTS_MAX || !/EADDRINUSE|address already in use/i.test(String(error))) throw error;
      }
    }
  }

  private static async startOnFreshPorts(options: ClusterOptions): Promise<ClusterProcesses> {
    const internalPorts = await freePorts(options.size);
    const contactPoints = internalPorts.map((port) => `127.0.0.1:${port}`).join(',');
    const brokers: BrokerProcess[] = [];
    try {
      for (let nodeId = 0; nodeId < options.size; nodeId++) {
        const args = [
          '--node-id', String(nodeId),
          '--cluster-size', String(options.size),
          '--replication-factor', String(options.replicationFactor),
          '--internal-port', String(internalPorts[nodeId]),
          '--contact-points', contactPoints,
          '--raft-tick', String(RAFT_TICK_MS),
          // Snapshots (and log compaction) run often, so that failover meets them under way.
          '--snapshot-period', '2000',
          ...(options.args ?? []),
        ];
        brokers.push(await BrokerProcess.start({ partitions: options.partitions, exportJsonl: true, args }));
      }
    } catch (error) {
      await Promise.all(brokers.map((broker) => broker.dispose()));
      throw error;
    }
    return new ClusterProcesses(brokers);
  }

  /** Every broker's exported records, without the copies a new leader exports again: one per (partition, position). */
  exportedRecords(): ExportedRecord[] {
    const unique = new Map<string, ExportedRecord>();
    for (const broker of this.brokers) {
      for (const record of broker.exportedRecords()) unique.set(`${record.partitionId}:${record.position}`, record);
    }
    return [...unique.values()];
  }

  /** A gauge of one partition from a broker's /metrics (e.g. tributary_state_position). */
  async metric(nodeId: number, name: string, partitionId: number): Promise<number | undefined> {
    const { body } = await this.brokers[nodeId].monitoring('/metrics');
    const line = body.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(`partition="${partitionId}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  outputForError(): string {
    return this.brokers.map((broker, nodeId) => `\n=== broker ${nodeId} ===${broker.outputForError()}`).join('');
  }

  async dispose(): Promise<void> {
    await Promise.all(this.brokers.map((broker) => broker.dispose()));
  }
}

/** Ports the kernel says are free now (bound and released again); the brokers bind them a moment later. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
