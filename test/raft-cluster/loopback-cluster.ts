import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  RaftServer,
  TcpTransport,
  type PeerAddress,
  type RaftEntry,
  type RaftSnapshotStore,
  type RaftTransport,
  type SnapshotMetadata,
} from '../../src/raft/index.js';

const CLUSTER_ID = 'raft-cluster-test';
const GROUP_ID = 1;

/** One node of a loopback cluster: its transport, its server, and what it applied (payloads as text, in order). */
export interface LoopbackNode {
  nodeId: number;
  directory: string;
  address: PeerAddress;
  transport: TcpTransport;
  server: RaftServer;
  applied: string[];
  warnings: string[];
  errors: Error[];
  /** While cut, the node's Raft messages are dropped both ways: a network partition that leaves TCP up. */
  link: { cut: boolean };
  /** The last entry applied. */
  appliedPosition: SnapshotMetadata;
  snapshots: MemorySnapshotStore;
}

/**
 * The application's snapshots, kept in memory for the test: a snapshot is the applied list as JSON. Installing a
 * received one replaces the node's applied list, as a state machine would replace its state.
 */
export class MemorySnapshotStore implements RaftSnapshotStore {
  latest: SnapshotMetadata | undefined;
  installedCount = 0;
  private bytes = Buffer.alloc(0);
  private incoming: Buffer[] = [];

  constructor(private readonly replaceApplied: (applied: string[], position: SnapshotMetadata) => void) {}

  readonly source = {
    read: (index: number, term: number, offsetBytes: number, sizeBytesMax: number) => {
      if (this.latest?.index !== index || this.latest.term !== term) return undefined;
      return { bytes: new Uint8Array(this.bytes.subarray(offsetBytes, offsetBytes + sizeBytesMax)), totalSizeBytes: this.bytes.length };
    },
  };

  take(applied: readonly string[], position: SnapshotMetadata): void {
    this.bytes = Buffer.from(JSON.stringify(applied));
    this.latest = { ...position };
  }

  writeChunk(chunk: { offsetBytes: number; bytes: Uint8Array }): void {
    if (chunk.offsetBytes === 0) this.incoming = [];
    this.incoming.push(Buffer.from(chunk.bytes));
  }

  async install(snapshot: SnapshotMetadata): Promise<void> {
    this.bytes = Buffer.concat(this.incoming);
    this.incoming = [];
    this.latest = { ...snapshot };
    this.installedCount++;
    this.replaceApplied(JSON.parse(this.bytes.toString()) as string[], snapshot);
  }
}

/**
 * Three (or more) RaftServers over real TCP on 127.0.0.1 and real files in a temporary directory, with fast ticks so
 * that elections take a few hundred milliseconds. Ports come from binding port 0; a restarted node takes its port again.
 */
export class LoopbackCluster {
  readonly nodes = new Map<number, LoopbackNode>();
  private constructor(
    readonly root: string,
    readonly nodeIds: number[],
  ) {}

  static async start(nodeCount: number): Promise<LoopbackCluster> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'tributary-raft-cluster-'));
    const cluster = new LoopbackCluster(root, Array.from({ length: nodeCount }, (_, position) => position + 1));
    for (const nodeId of cluster.nodeIds) await cluster.startNode(nodeId, 0);
    for (const node of cluster.nodes.values()) {
      for (const other of cluster.nodes.values()) if (other !== node) node.transport.setPeerAddress(other.nodeId, other.address);
    }
    return cluster;
  }

  node(nodeId: number): LoopbackNode {
    const node = this.nodes.get(nodeId);
    if (node === undefined) throw new Error(`Node ${nodeId} is not running`);
    return node;
  }

  async startNode(nodeId: number, port: number): Promise<LoopbackNode> {
    const peers = new Map(this.nodeIds.filter((id) => id !== nodeId).map((id) => [id, this.nodes.get(id)?.address] as const));
    const warnings: string[] = [];
    const transport = new TcpTransport({
      nodeId,
      clusterId: CLUSTER_ID,
      listen: { host: '127.0.0.1', port },
      peers,
      reconnectDelayMsMin: 10,
      reconnectDelayMsMax: 200,
      onWarning: (warning) => warnings.push(warning),
    });
    const address = await transport.start();
    const applied: string[] = [];
    const appliedPosition = { index: 0, term: 0 };
    const snapshots = new MemorySnapshotStore((snapshotApplied, position) => {
      applied.splice(0, applied.length, ...snapshotApplied);
      Object.assign(appliedPosition, position);
    });
    const errors: Error[] = [];
    const directory = path.join(this.root, `node-${nodeId}`);
    const link = { cut: false };
    const cuttable: RaftTransport = {
      send: (groupId, message) => {
        if (!link.cut) transport.send(groupId, message);
      },
      subscribe: (groupId, handler) =>
        transport.subscribe(groupId, (message) => {
          if (!link.cut) handler(message);
        }),
    };
    const server = await RaftServer.open({
      groupId: GROUP_ID,
      config: { replicaId: nodeId, replicaIds: this.nodeIds, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2, snapshotChunkSizeBytes: 4 * 1024 },
      directory,
      transport: cuttable,
      tickIntervalMs: 10,
      random: seededRandom(nodeId),
      onCommitted: (entries: RaftEntry[]) => {
        for (const entry of entries) if (entry.payload.byteLength > 0) applied.push(Buffer.from(entry.payload).toString());
        Object.assign(appliedPosition, { index: entries[entries.length - 1].index, term: entries[entries.length - 1].term });
      },
      // Small segments and snapshot chunks, so that compaction deletes files and a snapshot travels in many chunks.
      log: { segmentSizeBytesMax: 16 * 1024 },
      snapshots,
      onError: (error) => errors.push(error),
    });
    const node: LoopbackNode = { nodeId, directory, address, transport, server, applied, warnings, errors, link, appliedPosition, snapshots };
    this.nodes.set(nodeId, node);
    return node;
  }

  /** A clean stop of one node: the server flushes and closes its files, the transport its connections. */
  async stopNode(nodeId: number): Promise<LoopbackNode> {
    const node = this.node(nodeId);
    this.nodes.delete(nodeId);
    await node.server.close();
    await node.transport.close();
    return node;
  }

  leaders(): LoopbackNode[] {
    return [...this.nodes.values()].filter((node) => node.server.status.role === 'leader');
  }

  /** Waits until exactly one running node that is not cut off leads and every such node knows it. */
  async awaitLeader(timeoutMs = 5_000): Promise<LoopbackNode> {
    let leader: LoopbackNode | undefined;
    await waitFor(() => {
      const connected = [...this.nodes.values()].filter((node) => !node.link.cut);
      const leaders = connected.filter((node) => node.server.status.role === 'leader');
      leader = leaders.length === 1 && connected.every((node) => node.server.status.leaderId === leaders[0].nodeId) ? leaders[0] : undefined;
      return leader !== undefined;
    }, timeoutMs, 'one leader that every running node follows');
    return leader!;
  }

  async close(): Promise<void> {
    for (const nodeId of [...this.nodes.keys()]) await this.stopNode(nodeId);
    await rm(this.root, { recursive: true, force: true });
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A fixed pseudo-random sequence per node, so that election timeouts do not depend on Math.random. */
function seededRandom(seed: number): () => number {
  let state = seed * 7919;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}
