import { afterEach, describe, expect, it } from 'vitest';
import { RaftProposalError, type ReceivedSnapshotChunk } from '../../src/raft/index.js';
import { LoopbackCluster, waitFor } from './loopback-cluster.js';

/**
 * Failures that other replicated engines of this design shipped, replayed against real RaftServers (files, TCP):
 * - a leader that kept appending after it stepped down (its appends must neither commit nor be reported committed);
 * - a follower restarted in the middle of receiving a snapshot (the transfer must start over, never resume into a
 *   half snapshot).
 * The deterministic versions of both live in src/raft/raft-node.test.ts; the simulation (test/simulation) runs them
 * among every other fault.
 */
let cluster: LoopbackCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const payload = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

describe('regression: an old leader after stepping down', () => {
  it('refuses new proposals at once, appends nothing, and reports what it appended before as not committed', async () => {
    // given a leader with committed entries, cut off from its followers
    cluster = await LoopbackCluster.start(3);
    const oldLeader = await cluster.awaitLeader();
    await Promise.all(Array.from({ length: 20 }, (_, position) => oldLeader.server.propose(payload(`committed-${position}`))));
    oldLeader.link.cut = true;
    const beforeStepDown = oldLeader.server.propose(payload('appended-while-leading')).catch((error: unknown) => error);

    // when it steps down (check-quorum) and is asked to append again
    await waitFor(() => oldLeader.server.status.role !== 'leader', 3_000, 'the old leader to step down');
    const lastIndexAfterStepDown = oldLeader.server.status.lastIndex;
    const afterStepDown = await oldLeader.server.propose(payload('appended-after-stepping-down')).catch((error: unknown) => error);

    // then the new proposal is refused without touching the log
    expect(afterStepDown).toBeInstanceOf(RaftProposalError);
    expect(afterStepDown).toMatchObject({ reason: 'not-leader', retriable: true });
    expect(oldLeader.server.status.lastIndex).toBe(lastIndexAfterStepDown);

    // and when the others moved on and the network heals, the entry appended while leading is reported lost
    const newLeader = await cluster.awaitLeader();
    await Promise.all(Array.from({ length: 5 }, (_, position) => newLeader.server.propose(payload(`new-${position}`))));
    oldLeader.link.cut = false;
    expect(await beforeStepDown).toMatchObject({ reason: 'leadership-lost' });
    const expected = [...Array.from({ length: 20 }, (_, position) => `committed-${position}`), ...Array.from({ length: 5 }, (_, position) => `new-${position}`)];
    for (const node of cluster.nodes.values()) {
      await waitFor(() => node.applied.length === expected.length, 5_000, `node ${node.nodeId} to apply the committed history`);
      expect(node.applied).toEqual(expected);
    }
  });
});

describe('regression: a follower restarted in the middle of receiving a snapshot', () => {
  it('gets the transfer again from the start and installs only the whole snapshot', async () => {
    // given a stopped follower and a leader that compacted its log behind a snapshot
    cluster = await LoopbackCluster.start(3);
    const leader = await cluster.awaitLeader();
    await Promise.all(Array.from({ length: 50 }, (_, position) => leader.server.propose(payload(`early-${position}`))));
    const follower = [...cluster.nodes.values()].find((node) => node !== leader)!;
    await waitFor(() => follower.applied.length === 50, 5_000, 'the follower to apply the early entries');
    const stopped = await cluster.stopNode(follower.nodeId);
    await Promise.all(Array.from({ length: 1_500 }, (_, position) => leader.server.propose(payload(`late-${position}-${'x'.repeat(40)}`))));
    leader.snapshots.take(leader.applied, leader.appliedPosition);
    await leader.server.snapshotTaken(leader.appliedPosition.index, leader.appliedPosition.term);

    // when the follower restarts, receives a few chunks, is cut off and restarts again before the rest arrives
    const interrupted = await cluster.startNode(stopped.nodeId, stopped.address.port);
    const receivedBeforeRestart = countChunks(interrupted.snapshots, () => {
      if (receivedBeforeRestart.length === 3) interrupted.link.cut = true;
    });
    await waitFor(() => receivedBeforeRestart.length >= 3, 5_000, 'the follower to receive the first chunks');
    const againStopped = await cluster.stopNode(interrupted.nodeId);
    expect(againStopped.snapshots.installedCount).toBe(0);
    expect(againStopped.server.status.snapshotIndex).toBe(0);
    const restarted = await cluster.startNode(againStopped.nodeId, againStopped.address.port);
    const receivedAfterRestart = countChunks(restarted.snapshots, () => undefined);

    // then the transfer starts over at offset 0, and the follower installs the whole snapshot and catches up
    await waitFor(() => restarted.applied.length === leader.applied.length, 10_000, 'the restarted follower to catch up');
    expect(receivedBeforeRestart[0].offsetBytes).toBe(0);
    expect(receivedAfterRestart[0].offsetBytes).toBe(0);
    expect(receivedAfterRestart.map((chunk) => chunk.offsetBytes)).toEqual(offsetsInOrder(receivedAfterRestart));
    expect(restarted.snapshots.installedCount).toBe(1);
    expect(restarted.applied).toEqual(leader.applied);
    expect(restarted.errors).toEqual([]);
  });
});

/** Records the chunks a node's snapshot store writes, calling after() after each. */
function countChunks(snapshots: { writeChunk(chunk: ReceivedSnapshotChunk): void }, after: () => void): ReceivedSnapshotChunk[] {
  const received: ReceivedSnapshotChunk[] = [];
  const writeChunk = snapshots.writeChunk.bind(snapshots);
  snapshots.writeChunk = (chunk) => {
    writeChunk(chunk);
    received.push(chunk);
    after();
  };
  return received;
}

/** The offsets a single uninterrupted transfer (or several, each from 0) writes: each continues the one before. */
function offsetsInOrder(chunks: readonly ReceivedSnapshotChunk[]): number[] {
  let next = 0;
  return chunks.map((chunk) => {
    const expected = chunk.offsetBytes === 0 ? 0 : next;
    next = expected + chunk.bytes.byteLength;
    return expected;
  });
}
