import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RaftServer, type RaftEntry, type RaftMessage, type RaftTransport, type ReceivedSnapshotChunk, type ReplicaId, type Timers } from '../raft/index.js';
import { SnapshotStore, StateStore, restoreSnapshot } from '../state/index.js';
import { StateRaftSnapshotStore } from './raft-snapshot-store.js';

/**
 * StateRaftSnapshotStore under real RaftServers: a follower cut off while the leader snapshots its state and compacts
 * its log gets the state snapshot over InstallSnapshot, also when it restarts in the middle of receiving it, and ends
 * with the leader's state. The partition here is a minimal one: each non-empty entry is one record, kept in one column.
 */
let root: string;
const replicas: Replica[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tributary-raft-state-snapshots-'));
});

afterEach(async () => {
  for (const replica of replicas.splice(0)) await replica.close();
  await rm(root, { recursive: true, force: true });
});

class InProcessNetwork {
  private readonly handlers = new Map<ReplicaId, (message: RaftMessage) => void>();
  readonly isolated = new Set<ReplicaId>();

  transportOf(replicaId: ReplicaId): RaftTransport {
    return {
      send: (_groupId, message) => {
        if (this.blocked(message)) return;
        setImmediate(() => {
          if (!this.blocked(message)) this.handlers.get(message.to)?.(message);
        });
      },
      subscribe: (_groupId, handler) => {
        this.handlers.set(replicaId, handler);
        return () => this.handlers.delete(replicaId);
      },
    };
  }

  private blocked(message: RaftMessage): boolean {
    return this.isolated.has(message.from) || this.isolated.has(message.to);
  }
}

class ManualTimers implements Timers {
  private readonly intervals = new Map<number, () => void>();
  private nextHandle = 1;
  setTimeout(): unknown {
    throw new Error('RaftServer sets no timeouts');
  }
  clearTimeout(): void {}
  setInterval(callback: () => void): unknown {
    this.intervals.set(this.nextHandle, callback);
    return this.nextHandle++;
  }
  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }
  fireAll(): void {
    for (const callback of this.intervals.values()) callback();
  }
}

const REPLICA_IDS = [1, 2, 3];

/** One partition replica: its state, its Raft snapshots and its Raft server. */
class Replica {
  server!: RaftServer;
  snapshots!: StateRaftSnapshotStore;
  state!: StateStore;
  /** The record position the state covers, and the Raft entry after which it covers it. */
  position = 0;
  private readonly raftPositions = new Map<number, { index: number; term: number }>();
  readonly chunks: ReceivedSnapshotChunk[] = [];
  /** Called after each received chunk is written. */
  afterChunk: () => void = () => undefined;
  installedCount = 0;

  private constructor(
    readonly replicaId: ReplicaId,
    private readonly network: InProcessNetwork,
    private readonly timers: ManualTimers,
  ) {}

  static async open(replicaId: ReplicaId, network: InProcessNetwork, timers: ManualTimers): Promise<Replica> {
    const replica = new Replica(replicaId, network, timers);
    await replica.start();
    replicas.push(replica);
    return replica;
  }

  get dataDirectory(): string {
    return join(root, `replica-${this.replicaId}`);
  }

  /** Opens in the order a partition must: Raft snapshots (they clean up after crashes), then state, then Raft. */
  async start(): Promise<void> {
    this.snapshots = await StateRaftSnapshotStore.open({
      snapshots: new SnapshotStore({ dataDirectory: this.dataDirectory, chunkSizeBytesMax: 4096 }),
      onInstalled: async (snapshot) => {
        this.installedCount++;
        await this.state.close();
        await rm(join(this.dataDirectory, 'state'), { recursive: true, force: true });
        await restoreSnapshot(snapshot.directory, join(this.dataDirectory, 'state'));
        this.state = await StateStore.open({ directory: join(this.dataDirectory, 'state') });
        this.position = snapshot.position;
        this.raftPositions.clear();
        this.raftPositions.set(snapshot.position, { index: snapshot.index, term: snapshot.term });
      },
    });
    const writeChunk = this.snapshots.writeChunk.bind(this.snapshots);
    this.snapshots.writeChunk = (chunk) => {
      writeChunk(chunk);
      this.chunks.push(chunk);
      this.afterChunk();
    };
    // Recovery, simplified: the state starts from the latest snapshot (or empty) and Raft replays the log after it.
    await rm(join(this.dataDirectory, 'state'), { recursive: true, force: true });
    const latest = this.snapshots.latestSnapshot;
    if (latest !== undefined) await restoreSnapshot(latest.directory, join(this.dataDirectory, 'state'));
    this.state = await StateStore.open({ directory: join(this.dataDirectory, 'state') });
    this.position = latest?.position ?? 0;
    if (latest !== undefined) this.raftPositions.set(latest.position, { index: latest.index, term: latest.term });
    this.server = await RaftServer.open({
      groupId: 1,
      config: { replicaId: this.replicaId, replicaIds: REPLICA_IDS, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2, snapshotChunkSizeBytes: 2048, snapshotChunksInFlightMax: 4 },
      directory: join(this.dataDirectory, 'raft'),
      transport: this.network.transportOf(this.replicaId),
      timers: this.timers,
      random: () => (this.replicaId - 1) * 0.3,
      onCommitted: (entries) => this.apply(entries),
      log: { segmentSizeBytesMax: 4 * 1024 },
      snapshots: this.snapshots,
    });
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.snapshots.close();
    await this.state.close();
  }

  /** Takes a state snapshot and tells Raft, which compacts its log behind it. */
  async takeSnapshot(): Promise<number> {
    const snapshot = await this.snapshots.take(this.state, (position) => this.raftPositions.get(position));
    if (snapshot === undefined) throw new Error('Expected a new snapshot');
    await this.server.snapshotTaken(snapshot.index, snapshot.term);
    return snapshot.index;
  }

  records(): string[] {
    const records: string[] = [];
    this.state.column<[number], string>('records', 1).forEachWithPrefix([], (value) => {
      records.push(value);
    });
    return records;
  }

  private apply(entries: RaftEntry[]): void {
    const records = this.state.column<[number], string>('records', 1);
    for (const entry of entries) {
      if (entry.payload.byteLength > 0) {
        this.position++;
        records.put([this.position], Buffer.from(entry.payload).toString());
        this.state.commitTransaction(this.position);
      }
      this.raftPositions.set(this.position, { index: entry.index, term: entry.term });
    }
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

async function runUntil(timers: ManualTimers, condition: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 3_000; round++) {
    if (condition()) return;
    timers.fireAll();
    for (let settle = 0; settle < 5; settle++) await turn();
  }
  const states = replicas.map((replica) => `${replica.replicaId}: ${JSON.stringify(replica.server.status)} records ${replica.records().length} chunks ${replica.chunks.length} installed ${replica.installedCount}`);
  throw new Error(`Gave up waiting for ${what}: ${states.join('; ')}`);
}

describe('StateRaftSnapshotStore under RaftServer', () => {
  it('brings a follower behind the compacted log to the leader state, also across a restart in the middle of the transfer', async () => {
    // given three replicas led by replica 1, with replica 3 cut off after the first entries
    const network = new InProcessNetwork();
    const timers = new ManualTimers();
    const [leader, second] = [await Replica.open(1, network, timers), await Replica.open(2, network, timers)];
    let third = await Replica.open(3, network, timers);
    await runUntil(timers, () => leader.server.status.role === 'leader' && third.server.status.commitIndex >= 1, 'replica 1 to lead');
    await Promise.all(['a', 'b', 'c'].map((text) => leader.server.propose(Buffer.from(`early-${text}`))));
    await runUntil(timers, () => third.records().length === 3, 'replica 3 to apply the early entries');
    network.isolated.add(3);

    // and the leader moves on, snapshots its state and compacts its log
    for (let batch = 0; batch < 3; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, position) => leader.server.propose(Buffer.from(`late-${batch}-${position}-${'x'.repeat(60)}`))));
    }
    const snapshotIndex = await leader.takeSnapshot();
    expect(leader.server.status.snapshotIndex).toBe(snapshotIndex);

    // when replica 3 returns, receives a few chunks of the snapshot, and restarts before the rest arrives
    third.afterChunk = () => {
      if (third.chunks.length === 3) network.isolated.add(3);
    };
    network.isolated.delete(3);
    await runUntil(timers, () => third.chunks.length >= 3, 'replica 3 to receive the first chunks');
    expect(third.installedCount).toBe(0);
    await third.close();
    replicas.splice(replicas.indexOf(third), 1);
    third = await Replica.open(3, network, timers);
    network.isolated.delete(3);

    // then it receives the snapshot again from offset 0, installs it, and catches up with the entries after it
    await leader.server.propose(Buffer.from('after-snapshot'));
    await runUntil(timers, () => third.records().length === leader.records().length && second.records().length === leader.records().length, 'every replica to catch up');
    expect(third.chunks[0].offsetBytes).toBe(0);
    expect(third.installedCount).toBe(1);
    expect(third.snapshots.latest?.index).toBe(snapshotIndex);
    expect(third.records()).toEqual(leader.records());
    expect(third.records().at(-1)).toBe('after-snapshot');
    expect(third.position).toBe(leader.position);
  });
});
