import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RaftEntry } from './log-storage.js';
import { RaftServer } from './raft-server.js';
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

async function openSingleReplica(timers: ManualTimers, applied: string[]): Promise<RaftServer> {
  return RaftServer.open({
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
