import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RaftEntry } from './log-storage.js';
import type { SnapshotMetadata } from './log-storage.js';
import { RaftServer, type RaftSnapshotStore } from './raft-server.js';
import type { RaftTransport } from './transport/raft-transport.js';
import type { Timers } from './transport/timers.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-raft-server-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Timers that fire only when the test says so. */
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
  /** Fires every interval count times, letting the server's loop run after each. */
  async fire(count: number): Promise<void> {
    for (let round = 0; round < count; round++) {
      for (const callback of this.intervals.values()) callback();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const NO_NETWORK: RaftTransport = { send: () => undefined, subscribe: () => () => undefined };

async function openSingleReplica(timers: ManualTimers, applied: string[], snapshots?: RaftSnapshotStore): Promise<RaftServer> {
  return RaftServer.open({
    snapshots,
    groupId: 1,
    config: { replicaId: 1, replicaIds: [1], electionTimeoutTicks: 5, heartbeatIntervalTicks: 1 },
    directory,
    transport: NO_NETWORK,
    timers,
    random: () => 0,
    onCommitted: (entries: RaftEntry[]) => {
      for (const entry of entries) if (entry.payload.byteLength > 0) applied.push(Buffer.from(entry.payload).toString());
    },
  });
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('RaftServer with injected timers', () => {
  it('moves only when its timer fires, and a restart keeps the term and replays the committed log', async () => {
    // given a single replica whose ticks the test fires
    const timers = new ManualTimers();
    const applied: string[] = [];
    let server = await openSingleReplica(timers, applied);
    await settle();
    expect(server.status.role).toBe('follower');

    // when its election timeout passes
    await timers.fire(10);
    await settle();

    // then it leads and commits proposals on its own quorum, durably
    expect(server.status).toMatchObject({ role: 'leader', term: 1 });
    const positions = await Promise.all(['a', 'b', 'c'].map((text) => server.propose(new Uint8Array(Buffer.from(text)))));
    expect(positions).toEqual([2, 3, 4].map((index) => ({ index, term: 1 })));
    expect(applied).toEqual(['a', 'b', 'c']);
    await server.close();

    // when it restarts from its files
    const replayed: string[] = [];
    server = await openSingleReplica(timers, replayed);
    await timers.fire(10);
    await settle();

    // then the term moved on from the stored one, and the committed entries come back in order
    expect(server.status).toMatchObject({ role: 'leader', term: 2, lastIndex: 5 });
    expect(replayed).toEqual(['a', 'b', 'c']);
    await expect(server.propose(new Uint8Array(16 * 1024 * 1024 + 1))).rejects.toThrow("exceeds the log's entrySizeBytesMax");
    await expect(server.propose(new Uint8Array(0))).rejects.toThrow('Expected a non-empty payload');
    await server.close();
    await expect(server.propose(new Uint8Array([1]))).rejects.toMatchObject({ reason: 'closed' });
  });
});

/** A snapshot store that holds one durable snapshot, as a restart finds it. */
function storeWithSnapshot(latest: SnapshotMetadata): RaftSnapshotStore {
  return {
    latest,
    source: { read: () => undefined },
    writeChunk: () => undefined,
    install: () => Promise.reject(new Error('not expected')),
  };
}

describe('RaftServer restarted after a crash in the middle of installing a snapshot', () => {
  it('replaces a log that ends before the durable snapshot, instead of refusing to open', async () => {
    // given a replica whose log holds entries 1..4 of term 1
    const timers = new ManualTimers();
    let server = await openSingleReplica(timers, []);
    await timers.fire(10);
    await settle();
    await Promise.all(['a', 'b', 'c'].map((text) => server.propose(new Uint8Array(Buffer.from(text)))));
    await server.close();

    // when it restarts with a snapshot at 50 that became durable before the crash, while the log reset did not
    const applied: string[] = [];
    server = await openSingleReplica(timers, applied, storeWithSnapshot({ index: 50, term: 1 }));

    // then its log continues after the snapshot, and it commits new entries there without applying old ones again
    expect(server.status).toMatchObject({ snapshotIndex: 50, lastIndex: 50, commitIndex: 50, appliedIndex: 50 });
    await timers.fire(10);
    await settle();
    expect(await server.propose(new Uint8Array(Buffer.from('d')))).toEqual({ index: 52, term: 2 });
    expect(applied).toEqual(['d']);
    await server.close();
  });

  it('replaces a log whose entry at the snapshot index has another term', async () => {
    // given a replica whose log holds entries 1..4 of term 1
    const timers = new ManualTimers();
    let server = await openSingleReplica(timers, []);
    await timers.fire(10);
    await settle();
    await Promise.all(['a', 'b', 'c'].map((text) => server.propose(new Uint8Array(Buffer.from(text)))));
    await server.close();

    // when it restarts with a durable snapshot at 3 of a later term than its entry 3
    server = await openSingleReplica(timers, [], storeWithSnapshot({ index: 3, term: 2 }));

    // then the entries of the old term are gone and the log continues after the snapshot
    expect(server.status).toMatchObject({ snapshotIndex: 3, lastIndex: 3, lastTerm: 2, appliedIndex: 3 });
    await server.close();
  });
});
