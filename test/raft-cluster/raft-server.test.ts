import { afterEach, describe, expect, it } from 'vitest';
import { RaftProposalError } from '../../src/raft/index.js';
import { LoopbackCluster, waitFor } from './loopback-cluster.js';

let cluster: LoopbackCluster | undefined;

afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const payload = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

describe('three RaftServers on loopback', () => {
  it('elect one leader, replicate, fail over without losing a committed entry, and bring the old leader back', async () => {
    // given
    cluster = await LoopbackCluster.start(3);
    const startedAt = performance.now();
    const leader = await cluster.awaitLeader();
    const electionMs = performance.now() - startedAt;

    // when 1,000 proposals go to the leader at once
    const proposedAt = performance.now();
    const positions = await Promise.all(Array.from({ length: 1_000 }, (_, position) => leader.server.propose(payload(`entry-${position}`))));
    const replicateMs = performance.now() - proposedAt;

    // then every one committed, in order, and every replica applies the same entries in the same order
    const expected = Array.from({ length: 1_000 }, (_, position) => `entry-${position}`);
    expect(positions.map((position) => position.index)).toEqual(positions.map((_, position) => positions[0].index + position));
    await waitFor(() => [...cluster!.nodes.values()].every((node) => node.applied.length === 1_000), 5_000, 'every replica to apply 1,000 entries');
    for (const node of cluster.nodes.values()) expect(node.applied).toEqual(expected);

    // when the leader stops
    const stoppedAt = performance.now();
    const oldLeader = await cluster.stopNode(leader.nodeId);
    const newLeader = await cluster.awaitLeader();
    const failoverMs = performance.now() - stoppedAt;

    // then another node leads, holds every committed entry, and commits with the remaining quorum
    expect(newLeader.nodeId).not.toBe(oldLeader.nodeId);
    expect(newLeader.applied).toEqual(expected);
    await Promise.all(Array.from({ length: 100 }, (_, position) => newLeader.server.propose(payload(`after-failover-${position}`))));
    const all = [...expected, ...Array.from({ length: 100 }, (_, position) => `after-failover-${position}`)];

    // when the old leader restarts from its files (on its old port)
    const restartedAt = performance.now();
    const restarted = await cluster.startNode(oldLeader.nodeId, oldLeader.address.port);

    // then it catches up and applies exactly the same entries in the same order
    await waitFor(() => restarted.applied.length === all.length, 5_000, 'the restarted node to catch up');
    const catchUpMs = performance.now() - restartedAt;
    expect(restarted.applied).toEqual(all);
    for (const node of cluster.nodes.values()) {
      await waitFor(() => node.applied.length === all.length, 5_000, `node ${node.nodeId} to apply everything`);
      expect(node.applied).toEqual(all);
      expect(node.errors).toEqual([]);
    }
    expect(cluster.leaders()).toHaveLength(1);
    console.log(`election ${electionMs.toFixed(0)} ms, 1,000 proposals ${replicateMs.toFixed(0)} ms, failover ${failoverMs.toFixed(0)} ms, catch-up ${catchUpMs.toFixed(0)} ms`);
  });

  it('refuses a proposal on a follower, naming the leader', async () => {
    // given
    cluster = await LoopbackCluster.start(3);
    const leader = await cluster.awaitLeader();
    const follower = [...cluster.nodes.values()].find((node) => node !== leader)!;

    // when
    const proposal = follower.server.propose(payload('to a follower'));

    // then
    await expect(proposal).rejects.toThrow(RaftProposalError);
    await expect(proposal).rejects.toMatchObject({ reason: 'not-leader', leaderId: leader.nodeId, retriable: true });
  });

  it('rejects proposals still waiting when the server closes', async () => {
    // given a leader cut off from both followers
    cluster = await LoopbackCluster.start(3);
    const leader = await cluster.awaitLeader();
    for (const node of [...cluster.nodes.values()]) if (node !== leader) await cluster.stopNode(node.nodeId);

    // when a proposal cannot commit and the leader closes
    const proposal = leader.server.propose(payload('never committed'));
    const settled = proposal.catch((error: unknown) => error);
    await cluster.stopNode(leader.nodeId);

    // then
    expect(await settled).toMatchObject({ reason: expect.stringMatching(/^(closed|not-leader)$/) });
  });
});

describe('an old leader cut off from its followers', () => {
  it('steps down, loses only what never committed, and takes the new leader log when the network heals', async () => {
    // given a leader with 100 committed entries
    cluster = await LoopbackCluster.start(3);
    const oldLeader = await cluster.awaitLeader();
    await Promise.all(Array.from({ length: 100 }, (_, position) => oldLeader.server.propose(payload(`committed-${position}`))));

    // when it is cut off and still takes proposals, while the others elect a new leader that takes other proposals
    oldLeader.link.cut = true;
    const stranded = Array.from({ length: 50 }, (_, position) => oldLeader.server.propose(payload(`stranded-${position}`)).catch((error: unknown) => error));
    const newLeader = await cluster.awaitLeader();
    await waitFor(() => oldLeader.server.status.role === 'follower', 2_000, 'the old leader to step down (check-quorum)');
    await Promise.all(Array.from({ length: 100 }, (_, position) => newLeader.server.propose(payload(`new-${position}`))));
    oldLeader.link.cut = false;

    // then the stranded proposals fail as leadership-lost, and every replica applies the same committed history
    const failures = await Promise.all(stranded);
    expect(failures.every((failure) => failure instanceof RaftProposalError && failure.reason === 'leadership-lost')).toBe(true);
    const expected = [...Array.from({ length: 100 }, (_, position) => `committed-${position}`), ...Array.from({ length: 100 }, (_, position) => `new-${position}`)];
    for (const node of cluster.nodes.values()) {
      await waitFor(() => node.applied.length === expected.length, 5_000, `node ${node.nodeId} to apply the new leader's entries`);
      expect(node.applied).toEqual(expected);
    }
    expect(newLeader.nodeId).not.toBe(oldLeader.nodeId);
    expect(oldLeader.server.status.lastIndex).toBe(newLeader.server.status.lastIndex);
  });
});

describe('a follower behind the compacted log', () => {
  it('receives the leader snapshot in chunks, installs it, and continues from it', async () => {
    // given a stopped follower and a leader that moves on, snapshots and compacts its log
    cluster = await LoopbackCluster.start(3);
    const leader = await cluster.awaitLeader();
    await Promise.all(Array.from({ length: 100 }, (_, position) => leader.server.propose(payload(`early-${position}`))));
    const follower = [...cluster.nodes.values()].find((node) => node !== leader)!;
    await waitFor(() => follower.applied.length === 100, 5_000, 'the follower to apply the early entries');
    const stopped = await cluster.stopNode(follower.nodeId);
    await Promise.all(Array.from({ length: 2_000 }, (_, position) => leader.server.propose(payload(`late-${position}-${'x'.repeat(20)}`))));
    leader.snapshots.take(leader.applied, leader.appliedPosition);
    await leader.server.snapshotTaken(leader.appliedPosition.index, leader.appliedPosition.term);
    expect(leader.server.status.snapshotIndex).toBe(leader.appliedPosition.index);

    // when the follower restarts and more entries commit
    const restarted = await cluster.startNode(stopped.nodeId, stopped.address.port);
    await Promise.all(Array.from({ length: 10 }, (_, position) => leader.server.propose(payload(`after-snapshot-${position}`))));

    // then it installed the snapshot and applies the same history as the leader
    await waitFor(() => restarted.applied.length === leader.applied.length, 5_000, 'the restarted follower to catch up');
    expect(restarted.snapshots.installedCount).toBe(1);
    expect(restarted.applied).toEqual(leader.applied);
    expect(restarted.server.status.snapshotIndex).toBeGreaterThan(100);
    expect(restarted.errors).toEqual([]);
  });
});
