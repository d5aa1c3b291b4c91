import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RaftEntry, SnapshotMetadata } from './log-storage.js';
import type { RaftMessage } from './messages.js';
import type { ReplicaId } from './raft-config.js';
import { RaftProposalError, RaftServer, type RaftSnapshotStore } from './raft-server.js';
import type { ReceivedSnapshotChunk } from './snapshot-receiver.js';
import type { RaftTransport } from './transport/raft-transport.js';
import type { Timers } from './transport/timers.js';

/**
 * What a client hears about its proposal when the replica it proposed to loses leadership, with real RaftServers
 * (files, the Ready loop) over an in-process network whose links the test cuts, and timers the test fires.
 */
let directory: string;
const servers: RaftServer[] = [];

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-raft-proposals-'));
});

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await rm(directory, { recursive: true, force: true });
});

/** Delivers messages on the next turn of the event loop, except over links the test cut. */
class InProcessNetwork {
  private readonly handlers = new Map<ReplicaId, (message: RaftMessage) => void>();
  private readonly cut = new Set<string>();

  transportOf(replicaId: ReplicaId): RaftTransport {
    return {
      send: (_groupId, message) => {
        if (this.cut.has(`${message.from}>${message.to}`)) return;
        setImmediate(() => {
          if (!this.cut.has(`${message.from}>${message.to}`)) this.handlers.get(message.to)?.(message);
        });
      },
      subscribe: (_groupId, handler) => {
        this.handlers.set(replicaId, handler);
        return () => this.handlers.delete(replicaId);
      },
    };
  }

  cutLink(from: ReplicaId, to: ReplicaId): void {
    this.cut.add(`${from}>${to}`);
  }

  isolate(replicaId: ReplicaId, others: readonly ReplicaId[]): void {
    for (const other of others) {
      this.cutLink(replicaId, other);
      this.cutLink(other, replicaId);
    }
  }

  heal(): void {
    this.cut.clear();
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

/** The applied payloads are the state; a snapshot is that list as JSON. */
class ListSnapshotStore implements RaftSnapshotStore {
  latest: SnapshotMetadata | undefined;
  private bytes = Buffer.alloc(0);
  private incoming: Buffer[] = [];
  readonly source = {
    read: (index: number, term: number, offsetBytes: number, sizeBytesMax: number) => {
      if (this.latest?.index !== index || this.latest.term !== term) return undefined;
      return { bytes: new Uint8Array(this.bytes.subarray(offsetBytes, offsetBytes + sizeBytesMax)), totalSizeBytes: this.bytes.length };
    },
  };

  constructor(private readonly applied: string[]) {}

  take(position: SnapshotMetadata): void {
    this.bytes = Buffer.from(JSON.stringify(this.applied));
    this.latest = { ...position };
  }

  writeChunk(chunk: ReceivedSnapshotChunk): void {
    if (chunk.offsetBytes === 0) this.incoming = [];
    this.incoming.push(Buffer.from(chunk.bytes));
  }

  install(snapshot: SnapshotMetadata): Promise<void> {
    this.bytes = Buffer.concat(this.incoming);
    this.latest = { ...snapshot };
    this.applied.splice(0, this.applied.length, ...(JSON.parse(this.bytes.toString()) as string[]));
    return Promise.resolve();
  }
}

interface Replica {
  server: RaftServer;
  applied: string[];
  appliedPosition: SnapshotMetadata;
  snapshots: ListSnapshotStore;
}

const REPLICA_IDS = [1, 2, 3];

async function openReplica(replicaId: ReplicaId, network: InProcessNetwork, timers: ManualTimers): Promise<Replica> {
  const applied: string[] = [];
  const appliedPosition = { index: 0, term: 0 };
  const snapshots = new ListSnapshotStore(applied);
  const server = await RaftServer.open({
    groupId: 1,
    config: { replicaId, replicaIds: REPLICA_IDS, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2, snapshotChunkSizeBytes: 1024 },
    directory: path.join(directory, `replica-${replicaId}`),
    transport: network.transportOf(replicaId),
    timers,
    // Replica 1 times out first, replica 2 next: the test knows who leads.
    random: () => (replicaId - 1) * 0.3,
    onCommitted: (entries: RaftEntry[]) => {
      for (const entry of entries) if (entry.payload.byteLength > 0) applied.push(Buffer.from(entry.payload).toString());
      Object.assign(appliedPosition, { index: entries[entries.length - 1].index, term: entries[entries.length - 1].term });
    },
    log: { segmentSizeBytesMax: 4 * 1024 },
    snapshots,
  });
  servers.push(server);
  return { server, applied, appliedPosition, snapshots };
}

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

/** Fires the timers and lets messages and disks move, until condition holds. */
async function runUntil(timers: ManualTimers, condition: () => boolean, what: string): Promise<void> {
  for (let round = 0; round < 2_000; round++) {
    if (condition()) return;
    timers.fireAll();
    for (let settle = 0; settle < 5; settle++) await turn();
  }
  throw new Error(`Gave up waiting for ${what}`);
}

const payload = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

describe('RaftServer proposals of a leader that lost leadership', () => {
  it('reports a proposal that a snapshot replaced unseen as of unknown outcome, not as lost, because it did commit', async () => {
    // given replica 1 leading three replicas
    const network = new InProcessNetwork();
    const timers = new ManualTimers();
    const [first, second, third] = await Promise.all(REPLICA_IDS.map((replicaId) => openReplica(replicaId, network, timers)));
    await runUntil(timers, () => [first, second, third].every((replica) => replica.server.status.commitIndex === 1 && replica.server.status.leaderId === 1), 'replica 1 to lead');

    // when replica 1 replicates a proposal to both followers but hears none of their acknowledgements
    network.cutLink(2, 1);
    network.cutLink(3, 1);
    const outcome = first.server.propose(payload('acknowledged-by-a-quorum')).catch((error: unknown) => error);
    await runUntil(timers, () => [second, third].every((replica) => replica.server.status.lastIndex === 2 && replica.server.status.durableIndex === 2), 'the followers to hold the proposal');
    // and it is cut off, while replica 2 leads on, commits it with later entries, snapshots and compacts its log
    network.isolate(1, [2, 3]);
    await runUntil(timers, () => second.server.status.role === 'leader' && first.server.status.role !== 'leader', 'replica 2 to lead');
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(Array.from({ length: 50 }, (_, position) => second.server.propose(payload(`later-${batch}-${position}-${'x'.repeat(100)}`))));
    }
    second.snapshots.take(second.appliedPosition);
    await second.server.snapshotTaken(second.appliedPosition.index, second.appliedPosition.term);
    expect(second.applied[0]).toBe('acknowledged-by-a-quorum');

    // and the network heals, so replica 1 gets the snapshot instead of the entries after its own
    network.heal();
    await runUntil(timers, () => first.applied.length === second.applied.length, 'replica 1 to catch up');

    // then its client hears that the outcome is unknown (the entry did commit), not that it failed, and not to retry blindly
    const error = await outcome;
    expect(error).toBeInstanceOf(RaftProposalError);
    expect(error).toMatchObject({ reason: 'outcome-unknown', retriable: false });
    expect(first.server.status.snapshotIndex).toBeGreaterThan(2);
    expect(first.applied).toEqual(second.applied);
    await runUntil(timers, () => third.applied.length === second.applied.length, 'replica 3 to apply everything');
  });
});
