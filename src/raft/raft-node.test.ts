import { describe, expect, it } from 'vitest';
import type { RaftMessage, SnapshotChunkResponse } from './messages.js';
import { ManualCluster } from './test-support/manual-cluster.js';

const ofType = <T extends RaftMessage['type']>(messages: readonly RaftMessage[], type: T): Extract<RaftMessage, { type: T }>[] =>
  messages.filter((message): message is Extract<RaftMessage, { type: T }> => message.type === type);

describe('RaftNode election', () => {
  it('elects the replica whose timeout fires first, and commits its no-op everywhere', () => {
    // given three fresh replicas
    const cluster = new ManualCluster(3);
    // when replica 1's election timeout elapses
    cluster.elect(1);
    // then it leads term 1, the others follow it, and the no-op of term 1 is committed on all
    expect(cluster.leaderIds()).toEqual([1]);
    for (const replica of cluster.replicas.values()) {
      expect(replica.status).toMatchObject({ term: 1, leaderId: 1, commitIndex: 1, appliedIndex: 1 });
    }
  });

  it('lets a single replica lead and commit on its own fsync', () => {
    const cluster = new ManualCluster(1);
    cluster.elect(1);
    expect(cluster.replica(1).propose('alone')).toMatchObject({ accepted: true, term: 1 });
    expect(cluster.replica(1).status).toMatchObject({ role: 'leader', commitIndex: 2 });
    expect(cluster.replica(1).applied).toEqual(['alone']);
  });

  it('syncs a new term and vote before the messages that depend on them (hardStateMustSync)', () => {
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    const voterReady = cluster.replica(2).readies.find((ready) => ready.messages.some((message) => message.type === 'vote-response'))!;
    expect(voterReady.hardState).toMatchObject({ term: 1, votedFor: 1 });
    expect(voterReady.hardStateMustSync).toBe(true);
  });
});

describe('RaftNode pre-vote', () => {
  it('keeps a cut-off replica from raising the term, so it cannot depose the leader when it returns', () => {
    // given a group led by replica 1
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    // when replica 3 is cut off and lets many election timeouts pass
    cluster.partition([3], [1, 2]);
    cluster.tick(3, 100);
    cluster.deliverAll();
    // then its pre-votes fail and its term stays 1
    expect(cluster.replica(3).status).toMatchObject({ term: 1, role: 'pre-candidate' });
    // and when it returns it follows the leader, which keeps its term
    cluster.heal();
    cluster.tickAll(4);
    expect(cluster.leaderIds()).toEqual([1]);
    expect(cluster.replica(3).status).toMatchObject({ term: 1, role: 'follower', leaderId: 1 });
  });

  it('is ignored by a replica that heard from its leader within the election timeout', () => {
    // given a group led by replica 1, and replica 3 cut off from it (but not from replica 2)
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    cluster.partition([3], [1]);
    // when replica 3 times out and asks replica 2 for a pre-vote
    cluster.tick(3, 30);
    const answers = cluster.deliverAll().filter((message) => message.type === 'pre-vote-response' && message.from === 2);
    // then replica 2, whose leader lease has not run out, does not answer, and keeps following replica 1
    expect(answers).toEqual([]);
    expect(cluster.replica(2).status).toMatchObject({ term: 1, leaderId: 1 });
    expect(cluster.replica(3).status.term).toBe(1);
  });
});

describe('RaftNode check-quorum', () => {
  it('steps a leader down when it has not heard from a quorum for an election timeout', () => {
    // given a group led by replica 1
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    // when it is cut off from both followers for two election timeouts
    cluster.partition([1], [2, 3]);
    cluster.tick(1, 20);
    // then it is a follower without a leader, and refuses proposals
    expect(cluster.replica(1).status).toMatchObject({ role: 'follower', term: 1, leaderId: undefined });
    expect(cluster.replica(1).propose('late')).toEqual({ accepted: false, reason: 'not-leader', leaderId: undefined });
  });
});

describe('RaftNode replication', () => {
  it('commits only what a quorum holds durably, counting the leader only after its own fsync', () => {
    // given a group led by replica 1, where nobody reports durability by itself any more
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    for (const replica of cluster.replicas.values()) replica.autoPersist = false;
    const [leader, second, third] = [cluster.replica(1), cluster.replica(2), cluster.replica(3)];
    // when the leader proposes and the entry reaches both followers
    const proposal = leader.propose('a');
    expect(proposal).toMatchObject({ accepted: true, firstIndex: 2, lastIndex: 2 });
    let sent = cluster.deliverAll();
    // then nobody acknowledges it and nothing commits
    expect(ofType(sent, 'append-accepted').filter((message) => message.matchIndex >= 2)).toEqual([]);
    expect(leader.status.commitIndex).toBe(1);
    // when one follower's fsync completes, a quorum (with the leader) would hold it, but the leader's fsync has not
    second.persist();
    sent = cluster.deliverAll();
    expect(ofType(sent, 'append-accepted').map((message) => message.matchIndex)).toEqual([2]);
    expect(leader.status.commitIndex).toBe(1);
    // when the second follower's fsync completes, two followers form a quorum: the group has committed the entry,
    // and the followers apply it; the leader waits for its own disk before applying
    third.persist();
    cluster.deliverAll();
    expect(second.applied).toEqual(['a']);
    expect(leader.applied).toEqual([]);
    leader.persist();
    expect(leader.applied).toEqual(['a']);
  });

  it('pipelines batches to a follower that matches, within the in-flight bound', () => {
    const cluster = new ManualCluster(3, { appendEntriesCountMax: 2, appendRequestsInFlightMax: 3 });
    cluster.elect(1);
    cluster.replica(1).propose('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
    const toSecond = ofType(cluster.inFlight, 'append-request').filter((message) => message.to === 2);
    expect(toSecond.map((message) => message.entries.length)).toEqual([2, 2, 2]);
    cluster.deliverAll();
    expect(cluster.replica(2).applied).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('refuses proposals beyond the uncommitted size bound (back-pressure)', () => {
    const cluster = new ManualCluster(3, { uncommittedSizeBytesMax: 10 });
    cluster.elect(1);
    cluster.partition([1], [2, 3]);
    expect(cluster.replica(1).propose('12345678').accepted).toBe(true);
    expect(cluster.replica(1).propose('12345678')).toMatchObject({ accepted: false, reason: 'uncommitted-size-exceeded', uncommittedSizeBytes: 8 });
  });

  it('replaces a follower\'s conflicting uncommitted suffix, skipping a whole term per rejection', () => {
    // given leader 1 of term 1 that appends 20 entries while cut off from the others
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    cluster.partition([1], [2, 3]);
    cluster.replica(1).propose(...Array.from({ length: 20 }, (_, position) => `stale-${position}`));
    // and replica 2 leading term 2, which commits entries of its own with replica 3
    cluster.tick(3, 10);
    cluster.elect(2);
    cluster.replica(2).propose('x', 'y', 'z');
    cluster.deliverAll();
    // and replica 3 leading term 3 after replica 2 restarted, probing replica 1 after its own last entry
    cluster.replica(2).restart();
    cluster.elect(3);
    expect(cluster.replica(3).status).toMatchObject({ role: 'leader', term: 3, lastIndex: 6 });
    // when the partitions heal
    cluster.heal();
    cluster.tick(3, 2);
    const sent = cluster.deliverAll();
    cluster.tickAll(2);
    // then replica 1 truncated its 20 stale entries and holds the leader's log, found with one rejection
    // (backing up one entry per rejection would have taken five)
    expect(ofType(sent, 'append-rejected').filter((message) => message.from === 1)).toHaveLength(1);
    expect(cluster.replica(1).logTerms()).toEqual([1, 2, 2, 2, 2, 3]);
    for (const replica of cluster.replicas.values()) expect(replica.applied).toEqual(['x', 'y', 'z']);
  });
});

describe('RaftNode regressions', () => {
  it('an old leader does not append or commit after stepping down, even when its fsync completes late', () => {
    // given leader 1 whose disk reports nothing durable by itself, cut off after proposing
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    const oldLeader = cluster.replica(1);
    oldLeader.autoPersist = false;
    cluster.partition([1], [2, 3]);
    oldLeader.propose('lost-1', 'lost-2');
    // and a new leader of term 2 that commits an entry
    cluster.tick(3, 10);
    cluster.elect(2);
    cluster.replica(2).propose('kept');
    cluster.deliverAll();
    // when the old leader hears of term 2 it steps down
    cluster.heal();
    cluster.tick(2, 2);
    cluster.deliverAll((message) => message.to === 1);
    expect(oldLeader.status).toMatchObject({ role: 'follower', term: 2, leaderId: 2 });
    const readiesBefore = oldLeader.readies.length;
    // and then its late fsync and a client's proposal change nothing
    oldLeader.persist();
    expect(oldLeader.propose('after-step-down')).toEqual({ accepted: false, reason: 'not-leader', leaderId: 2 });
    oldLeader.autoPersist = true;
    cluster.deliverAll();
    cluster.tickAll(3);
    const laterMessages = oldLeader.readies.slice(readiesBefore).flatMap((ready) => ready.messages);
    expect(ofType(laterMessages, 'append-request')).toEqual([]);
    expect(ofType(laterMessages, 'heartbeat-request')).toEqual([]);
    // then its stale entries are gone and every replica applied exactly the new leader's history
    for (const replica of cluster.replicas.values()) {
      expect(replica.applied).toEqual(['kept']);
      expect(replica.logTerms()).toEqual([1, 2, 2]);
    }
  });

  it('a follower restarted in the middle of receiving a snapshot gets the transfer again from offset 0', () => {
    // given leader 1 that committed entries while replica 3 was cut off, then snapshotted and compacted its log
    const cluster = new ManualCluster(3, { snapshotChunkSizeBytes: 32, snapshotChunksInFlightMax: 1 });
    cluster.elect(1);
    cluster.partition([3], [1, 2]);
    const payloads = Array.from({ length: 10 }, (_, position) => `entry-${position}`);
    cluster.replica(1).propose(...payloads);
    cluster.deliverAll();
    cluster.replica(1).takeSnapshot();
    expect(cluster.replica(1).storage.firstIndex).toBeGreaterThan(2);
    // when the partition heals and replica 3 restarts after two chunks
    cluster.heal();
    let chunksDelivered = 0;
    cluster.tick(1, 2);
    cluster.deliverAll((message) => message.type !== 'snapshot-chunk' || ++chunksDelivered <= 2);
    expect(chunksDelivered).toBeGreaterThan(2);
    cluster.replica(3).restart();
    const sent = cluster.deliverAll();
    // then replica 3 asks for offset 0, the leader starts over, and replica 3 installs the whole snapshot
    const responses = ofType(sent, 'snapshot-chunk-response') as SnapshotChunkResponse[];
    expect(responses.find((message) => message.outcome === 'rejected')).toMatchObject({ from: 3, nextOffsetBytes: 0 });
    expect(ofType(sent, 'snapshot-chunk').filter((message) => message.offsetBytes === 0).length).toBeGreaterThan(0);
    expect(cluster.replica(3).status).toMatchObject({ snapshotIndex: 11, commitIndex: 11, appliedIndex: 11 });
    expect(cluster.replica(3).applied).toEqual(payloads);
    // and replication goes on from there
    cluster.replica(1).propose('after');
    cluster.deliverAll();
    cluster.tickAll(2);
    expect(cluster.replica(3).applied).toEqual([...payloads, 'after']);
  });

  it('a follower sent a snapshot of an entry it holds keeps the entries after it, which it may have acknowledged', () => {
    // given leader 1 that replicated entries 7..11 to replica 2, whose acknowledgements are lost, and 7..9 to
    // replica 3, so that entries up to 9 are committed (replica 2 only knows up to 6 of that)
    const cluster = new ManualCluster(3, { snapshotChunkSizeBytes: 64 });
    const [leader, second] = [cluster.replica(1), cluster.replica(2)];
    cluster.elect(1);
    leader.propose('a', 'b', 'c', 'd', 'e');
    cluster.deliverAll();
    leader.propose('f', 'g', 'h');
    leader.propose('i', 'j');
    cluster.deliverAll((message) => message.to === 2);
    cluster.deliverAll((message) => (message.type === 'append-request' && message.to === 3 && message.entries[0]?.index === 7) || message.type === 'append-accepted' && message.from === 3);
    cluster.inFlight = [];
    expect(leader.status.commitIndex).toBe(9);
    expect(second.status).toMatchObject({ commitIndex: 6, lastIndex: 11 });
    // and the leader snapshots at 9 and compacts its log
    leader.takeSnapshot();
    // when replica 2 misses entry 12 and rejects entry 13, the leader probes from its match (6) + 1, which it
    // compacted away, and so sends its snapshot at 9
    leader.propose('k');
    cluster.inFlight = [];
    leader.propose('l');
    const sent = cluster.deliverAll((message) => message.type !== 'append-accepted' && message.type !== 'append-request' || message.to === 2);
    expect(ofType(sent, 'snapshot-chunk').filter((message) => message.to === 2)[0]).toMatchObject({ snapshotIndex: 9 });
    // then replica 2 keeps its log, entries 10 and 11 included, and answers that it holds the snapshot
    expect(second.readies.some((ready) => ready.snapshotToInstall !== undefined)).toBe(false);
    expect(second.storage.firstIndex).toBe(1);
    expect(second.storage.lastIndex).toBeGreaterThanOrEqual(11);
    expect(ofType(sent, 'snapshot-chunk-response').filter((message) => message.from === 2)[0]).toMatchObject({ outcome: 'installed', snapshotIndex: 9 });
    // and it catches up from there
    cluster.deliverAll();
    cluster.tickAll(3);
    expect(second.applied).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']);
  });

  it('a replica that lost its log neither votes nor campaigns until it caught up with a later term', () => {
    // given a group of term 1 that committed entries
    const cluster = new ManualCluster(3);
    cluster.elect(1);
    cluster.replica(1).propose('a', 'b');
    cluster.deliverAll();
    // when replica 3 loses its data directory (log, snapshots, state) but keeps its hard state
    const wiped = cluster.replica(3);
    wiped.storage = new (wiped.storage.constructor as new () => typeof wiped.storage)();
    wiped.applied = [];
    wiped.appliedIndex = 0;
    const readiesBeforeWipe = wiped.readies.length;
    wiped.start(true);
    // then it records that in its hard state, and refuses votes, even after a restart
    expect(wiped.hardState).toMatchObject({ term: 1, logLostInTerm: 1 });
    wiped.restart();
    expect(wiped.status.recovering).toBe(true);
    cluster.replica(1).restart();
    cluster.tick(3, 40);
    expect(wiped.status.role).toBe('follower');
    cluster.elect(2);
    const answers = wiped.readies.slice(readiesBeforeWipe).flatMap((ready) => ready.messages).filter((message) => message.type === 'pre-vote-response' || message.type === 'vote-response');
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((message) => 'granted' in message && !message.granted)).toBe(true);
    // and once the leader of term 2 committed its own entry on it, it is a voter again
    cluster.tickAll(3);
    expect(cluster.replica(2).status).toMatchObject({ role: 'leader', term: 2 });
    expect(wiped.status).toMatchObject({ recovering: false, commitIndex: 4 });
    expect(wiped.hardState?.logLostInTerm).toBeUndefined();
    expect(wiped.applied).toEqual(['a', 'b']);
  });
});
