import { quorumSize, type RaftConfigInput, type RaftMessage, type ReplicaId, type SnapshotMetadata } from '../../src/raft/index.js';
import { EventQueue } from './event-queue.js';
import { Prng } from './prng.js';
import { SafetyChecker, type ObservedReplica } from './safety-checker.js';
import { RELIABLE_NETWORK, SimulatedNetwork, type NetworkFaults } from './simulated-network.js';
import { SimulatedReplica, type ReplicaEnvironment, type ReplicaStats } from './simulated-replica.js';

/** Simulated time units per Raft tick; message and disk delays are drawn in the same units. */
export const TICK_INTERVAL_TIME = 10;
const TICK_JITTER_TIME = 2;
const INSTALL_DELAY_TIME_MAX = 40;
/** After healing: how long the cluster runs without faults before a leader must exist, in election timeouts. */
const QUIET_ELECTION_TIMEOUTS = 30;
/** Then: how long a new proposal may take to be applied everywhere, in election timeouts. */
const COMMIT_ELECTION_TIMEOUTS = 20;
/** Client payloads are 8..PAYLOAD_BYTES_MAX bytes. */
const PAYLOAD_BYTES_MAX = 40;
/** Any liveness phase processes this many events at most: a livelock is a failure, not a hang. */
const LIVENESS_EVENTS_MAX = 500_000;

type SimulationEvent =
  | { kind: 'tick'; replica: SimulatedReplica; incarnation: number }
  | { kind: 'deliver'; message: RaftMessage }
  | { kind: 'sync'; replica: SimulatedReplica; incarnation: number }
  | { kind: 'install'; replica: SimulatedReplica; incarnation: number; snapshot: SnapshotMetadata; bytes: Uint8Array }
  | { kind: 'restart'; replica: SimulatedReplica; incarnation: number }
  | { kind: 'heal'; generation: number };

export interface SimulationOptions {
  seed: number;
  steps: number;
  /** 3 or 5; by default odd seeds run 5 replicas, even seeds 3. */
  replicaCount?: number;
  /** Prints every event and action as it happens. */
  trace?: boolean;
}

export interface SimulationStats extends ReplicaStats {
  replicaCount: number;
  simulatedTicks: number;
  committedEntries: number;
  leaderElections: number;
  maxTerm: number;
  proposalsAccepted: number;
  proposalsRefused: number;
  crashes: number;
  wipes: number;
  partitions: number;
  messagesSent: number;
  messagesDropped: number;
  messagesDuplicated: number;
  syncs: number;
  /** Restarts after a crash between a snapshot install and the log reset: RaftServer.open repairs the same way. */
  logsReplacedOnRecovery: number;
}

export interface SimulationResult {
  seed: number;
  steps: number;
  stats: SimulationStats;
  /** Why the run failed, with the last notable events; undefined when it passed. */
  failure: string | undefined;
}

interface FaultProfile {
  network: NetworkFaults;
  /** A sync completes within 1..syncDelayTimeMax: slow disks widen the window in which a crash loses writes. */
  syncDelayTimeMax: number;
  /** Per step: the chance of a client proposal or a fault instead of the next scheduled event. */
  actionProbability: number;
  weights: { [action in Action]: number };
}

type Action = 'propose' | 'snapshot' | 'crash' | 'crashLeader' | 'restart' | 'wipe' | 'partition' | 'isolateLeader' | 'cutLink' | 'heal';

/** The notable events kept for a failure report. */
const NOTES_KEPT_MAX = 40;

/**
 * A whole Raft group in one process, driven by one seed: replicas with simulated disks and state machines, a
 * simulated network, clients and a fault injector. Each step either runs the next scheduled event (a tick, a
 * message delivery, a sync or snapshot install completing, a restart) or injects a client proposal or a fault;
 * after every step the SafetyChecker checks all running replicas. At the end everything heals and the cluster must
 * elect a leader and commit a new proposal within a bound.
 */
export class ClusterSimulation {
  private now = 0;
  private readonly queue = new EventQueue<SimulationEvent>();
  private readonly prng: Prng;
  private readonly network: SimulatedNetwork;
  private readonly checker = new SafetyChecker();
  private readonly replicas: SimulatedReplica[];
  private readonly profile: FaultProfile;
  private readonly config: RaftConfigInput;
  private readonly notes: string[] = [];
  private healGeneration = 0;
  private proposalNumber = 0;
  private readonly stats: SimulationStats;

  constructor(private readonly options: SimulationOptions) {
    this.prng = new Prng(options.seed);
    const replicaCount = options.replicaCount ?? (options.seed % 2 === 1 ? 5 : 3);
    const replicaIds = Array.from({ length: replicaCount }, (_, position) => position + 1);
    this.config = this.randomConfig(replicaIds);
    this.profile = this.randomProfile();
    this.network = new SimulatedNetwork(this.prng.fork(), this.profile.network);
    this.stats = emptyStats(replicaCount);
    const environment = this.environment();
    this.replicas = replicaIds.map((replicaId) => new SimulatedReplica(replicaId, this.config, environment));
  }

  run(): SimulationResult {
    let step = 0;
    try {
      for (const replica of this.replicas) replica.start();
      for (; step < this.options.steps; step++) {
        this.step();
        this.checker.afterStep(this.observe());
      }
      this.checkLiveness();
    } catch (error) {
      return { seed: this.options.seed, steps: this.options.steps, stats: this.finalStats(), failure: this.describeFailure(error, step) };
    }
    return { seed: this.options.seed, steps: this.options.steps, stats: this.finalStats(), failure: undefined };
  }

  // ---- one step ----

  private step(): void {
    if (this.queue.size === 0 || this.prng.chance(this.profile.actionProbability)) this.act(this.pickAction());
    else this.processNextEvent();
  }

  private processNextEvent(): void {
    const { time, item: event } = this.queue.pop()!;
    this.now = time;
    switch (event.kind) {
      case 'tick':
        return event.replica.tick(event.incarnation);
      case 'deliver':
        return this.deliver(event.message);
      case 'sync':
        return event.replica.syncCompleted(event.incarnation);
      case 'install':
        return event.replica.installCompleted(event.incarnation, event.snapshot, event.bytes);
      case 'restart':
        if (!event.replica.up && event.replica.incarnation === event.incarnation) this.restart(event.replica);
        return;
      case 'heal':
        if (event.generation === this.healGeneration) this.heal();
        return;
    }
  }

  private deliver(message: RaftMessage): void {
    if (!this.network.connected(message.from, message.to)) return;
    const replica = this.replicas[message.to - 1];
    if (this.options.trace) this.note(`deliver ${describeMessage(message)}`);
    replica.receive(message);
  }

  // ---- faults and clients ----

  private pickAction(): Action {
    const weights = this.profile.weights;
    let total = 0;
    for (const weight of Object.values(weights)) total += weight;
    let draw = this.prng.next() * total;
    for (const [action, weight] of Object.entries(weights) as [Action, number][]) {
      draw -= weight;
      if (draw < 0) return action;
    }
    return 'propose';
  }

  private act(action: Action): void {
    const up = this.replicas.filter((replica) => replica.up);
    const down = this.replicas.filter((replica) => !replica.up);
    switch (action) {
      case 'propose':
        return this.propose(up);
      case 'snapshot':
        // Often compacting right up to the snapshot, so that followers a little behind need it.
        if (up.length > 0) this.prng.pick(up).takeSnapshot(this.prng.pick([0, 0, 2, 10, 50]));
        return;
      case 'crash':
        if (up.length > 0) this.crash(this.prng.pick(up));
        return;
      case 'crashLeader': {
        const leader = this.currentLeader();
        if (leader !== undefined) this.crash(leader);
        return;
      }
      case 'restart':
        if (down.length > 0) this.restart(this.prng.pick(down));
        return;
      case 'wipe':
        return this.wipe(up);
      case 'partition':
        return this.partitionRandomly();
      case 'isolateLeader':
        return this.isolateLeader();
      case 'cutLink':
        return this.cutLink();
      case 'heal':
        return this.heal();
    }
  }

  private propose(up: SimulatedReplica[]): void {
    if (up.length === 0) return;
    // Clients mostly find the leader; sometimes they ask a replica that is not (and get refused).
    const leader = this.currentLeader();
    const target = leader !== undefined && this.prng.chance(0.8) ? leader : this.prng.pick(up);
    const text = `s${this.options.seed}p${++this.proposalNumber}:`.padEnd(this.prng.between(8, PAYLOAD_BYTES_MAX), String.fromCharCode(97 + this.prng.int(26)));
    if (target.propose(new TextEncoder().encode(text)).accepted) this.stats.proposalsAccepted++;
    else this.stats.proposalsRefused++;
  }

  private crash(replica: SimulatedReplica): void {
    replica.crash();
    this.stats.crashes++;
    this.note(`crash replica ${replica.replicaId}`);
    if (this.prng.chance(0.85)) this.schedule(this.prng.between(20, 80 * TICK_INTERVAL_TIME), { kind: 'restart', replica, incarnation: replica.incarnation });
  }

  private restart(replica: SimulatedReplica): void {
    this.note(`restart replica ${replica.replicaId}`);
    replica.start();
  }

  /**
   * Wipes one replica's data. A recovering replica does not vote, so wipes stop while the voters left would be
   * fewer than a quorum: the group would rightly stay without a leader and the liveness check could not pass.
   */
  private wipe(up: SimulatedReplica[]): void {
    const recoveringCount = this.replicas.filter((replica) => replica.recovering).length;
    const candidates = up.filter((replica) => !replica.recovering);
    if (candidates.length === 0 || recoveringCount + 1 > this.replicas.length - quorumSize(this.replicas.length)) return;
    const replica = this.prng.pick(candidates);
    replica.wipe();
    this.stats.wipes++;
    this.note(`wipe replica ${replica.replicaId}`);
    this.schedule(this.prng.between(20, 40 * TICK_INTERVAL_TIME), { kind: 'restart', replica, incarnation: replica.incarnation });
  }

  private partitionRandomly(): void {
    const shuffled = this.replicas.map((replica) => replica.replicaId);
    for (let position = shuffled.length - 1; position > 0; position--) {
      const other = this.prng.int(position + 1);
      [shuffled[position], shuffled[other]] = [shuffled[other], shuffled[position]];
    }
    const splitAt = this.prng.between(1, shuffled.length - 1);
    this.partition([shuffled.slice(0, splitAt), shuffled.slice(splitAt)]);
  }

  private isolateLeader(): void {
    const leader = this.currentLeader();
    if (leader === undefined) return;
    this.partition([[leader.replicaId], this.replicas.filter((replica) => replica !== leader).map((replica) => replica.replicaId)]);
  }

  private partition(groups: ReplicaId[][]): void {
    this.network.partition(groups);
    this.stats.partitions++;
    this.note(`partition ${JSON.stringify(groups)}`);
    this.schedule(this.prng.between(50, 150 * TICK_INTERVAL_TIME), { kind: 'heal', generation: ++this.healGeneration });
  }

  private cutLink(): void {
    const from = this.prng.pick(this.replicas).replicaId;
    const to = this.prng.pick(this.replicas.filter((replica) => replica.replicaId !== from)).replicaId;
    this.network.cut(from, to);
    this.note(`cut ${from} -> ${to}`);
    this.schedule(this.prng.between(50, 150 * TICK_INTERVAL_TIME), { kind: 'heal', generation: ++this.healGeneration });
  }

  private heal(): void {
    this.network.healAll();
    this.healGeneration++;
    this.note('heal the network');
  }

  // ---- liveness ----

  /** Heal everything, run quietly, then a leader must exist and a new proposal must be applied everywhere. */
  private checkLiveness(): void {
    this.note('liveness: heal everything and run quietly');
    this.heal();
    this.network.faults = RELIABLE_NETWORK;
    for (const replica of this.replicas) if (!replica.up) this.restart(replica);
    const electionTimeoutTime = (this.config.electionTimeoutTicks ?? 10) * TICK_INTERVAL_TIME;
    this.runUntil(this.now + QUIET_ELECTION_TIMEOUTS * electionTimeoutTime, () => false);
    if (this.currentLeader() === undefined) throw new LivenessFailure(`No leader ${QUIET_ELECTION_TIMEOUTS} election timeouts after healing: ${this.describeReplicas()}`);
    const proposedIndex = this.proposeUntilAccepted(electionTimeoutTime);
    const appliedEverywhere = (): boolean => this.replicas.every((replica) => replica.stateMachine.appliedIndex >= proposedIndex);
    const boundTime = COMMIT_ELECTION_TIMEOUTS * electionTimeoutTime + this.replicationTime(proposedIndex);
    this.runUntil(this.now + boundTime, appliedEverywhere);
    if (!appliedEverywhere()) {
      throw new LivenessFailure(`A proposal at ${proposedIndex} was not applied everywhere within ${boundTime} time units after healing: ${this.describeReplicas()}`);
    }
    const committed = new TextDecoder().decode(this.checker.committedPayloadAt(proposedIndex));
    if (committed !== this.livenessPayloadText) throw new LivenessFailure(`The proposal at ${proposedIndex} was replaced by ${JSON.stringify(committed)} in a healed cluster`);
  }

  private get livenessPayloadText(): string {
    return `s${this.options.seed}:liveness`;
  }

  /**
   * Proposes like a client: to the leader, again after each election timeout while it is refused (a new leader, or
   * back-pressure while the backlog of a slow configuration commits). Returns the index of the accepted entry.
   */
  private proposeUntilAccepted(electionTimeoutTime: number): number {
    const payload = new TextEncoder().encode(this.livenessPayloadText);
    const deadline = this.now + COMMIT_ELECTION_TIMEOUTS * electionTimeoutTime + this.replicationTime(this.lastIndexOfLeader());
    let lastRefusal = 'no leader';
    while (this.now <= deadline) {
      const leader = this.currentLeader();
      const proposal = leader?.propose(payload);
      if (proposal?.accepted) return proposal.lastIndex;
      if (proposal !== undefined) lastRefusal = JSON.stringify(proposal);
      this.runUntil(this.now + electionTimeoutTime, () => false);
      if (this.queue.size === 0) break;
    }
    throw new LivenessFailure(`No leader accepted a proposal within ${deadline} after healing (last refusal: ${lastRefusal}): ${this.describeReplicas()}`);
  }

  private lastIndexOfLeader(): number {
    return this.currentLeader()?.node!.status.lastIndex ?? 0;
  }

  /**
   * How long shipping the backlog up to lastIndex may take to the furthest replica: uncommitted entries of failed
   * leaderships pile up under chaos, and with one entry per request and one request in flight every entry costs
   * a round trip and a sync.
   */
  private replicationTime(lastIndex: number): number {
    const backlogEntryCount = lastIndex - Math.min(...this.replicas.map((replica) => replica.stateMachine.appliedIndex));
    const roundTripTime = 2 * this.profile.network.delayTimeMax + this.profile.syncDelayTimeMax;
    const entriesPerRequest = Math.min(this.config.appendEntriesCountMax ?? 1, Math.max(1, Math.floor((this.config.appendSizeBytesMax ?? 1) / PAYLOAD_BYTES_MAX)));
    const entriesPerRoundTrip = entriesPerRequest * (this.config.appendRequestsInFlightMax ?? 1);
    return Math.ceil(backlogEntryCount / entriesPerRoundTrip) * roundTripTime;
  }

  private runUntil(endTime: number, done: () => boolean): void {
    for (let eventCount = 0; eventCount < LIVENESS_EVENTS_MAX; eventCount++) {
      if (done() || this.queue.size === 0 || this.queue.peekTime()! > endTime) return;
      this.processNextEvent();
      this.checker.afterStep(this.observe());
    }
    throw new LivenessFailure(`More than ${LIVENESS_EVENTS_MAX} events without reaching time ${endTime}: a livelock`);
  }

  private currentLeader(): SimulatedReplica | undefined {
    let leader: SimulatedReplica | undefined;
    for (const replica of this.replicas) {
      const status = replica.node?.status;
      if (status?.role === 'leader' && (leader === undefined || status.term > leader.node!.status.term)) leader = replica;
    }
    return leader;
  }

  // ---- plumbing ----

  private environment(): ReplicaEnvironment {
    return {
      prng: this.prng,
      checker: this.checker,
      stats: this.stats,
      send: (message) => {
        for (const arrival of this.network.transmit(message, this.now)) this.schedule(arrival - this.now, { kind: 'deliver', message });
      },
      scheduleTick: (replica, incarnation) => {
        this.schedule(TICK_INTERVAL_TIME + this.prng.between(-TICK_JITTER_TIME, TICK_JITTER_TIME), { kind: 'tick', replica, incarnation });
      },
      scheduleSync: (replica, incarnation) => this.schedule(this.prng.between(1, this.profile.syncDelayTimeMax), { kind: 'sync', replica, incarnation }),
      scheduleInstall: (replica, incarnation, snapshot, bytes) =>
        this.schedule(this.prng.between(1, INSTALL_DELAY_TIME_MAX), { kind: 'install', replica, incarnation, snapshot, bytes }),
      note: (text) => this.note(text),
    };
  }

  private schedule(delayTime: number, event: SimulationEvent): void {
    this.queue.push(this.now + Math.max(1, delayTime), event);
  }

  private observe(): ObservedReplica[] {
    const observed: ObservedReplica[] = [];
    for (const replica of this.replicas) {
      if (replica.node !== undefined) observed.push({ replicaId: replica.replicaId, status: replica.node.status, log: replica.disk.view });
    }
    return observed;
  }

  private note(text: string): void {
    const line = `t=${this.now} ${text}`;
    if (this.options.trace) console.log(line);
    this.notes.push(line);
    if (this.notes.length > NOTES_KEPT_MAX) this.notes.shift();
  }

  private randomConfig(replicaIds: ReplicaId[]): RaftConfigInput {
    const prng = this.prng;
    return {
      replicaId: replicaIds[0],
      replicaIds,
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: prng.pick([1, 2, 3]),
      appendEntriesCountMax: prng.pick([1, 4, 64]),
      appendSizeBytesMax: prng.pick([40, 256, 4096]),
      appendRequestsInFlightMax: prng.pick([1, 2, 8]),
      snapshotChunkSizeBytes: prng.pick([32, 100, 1000]),
      snapshotChunksInFlightMax: prng.pick([1, 3]),
      uncommittedSizeBytesMax: prng.pick([300, 3000]),
      applySizeBytesMax: prng.pick([50, 1000]),
    };
  }

  private randomProfile(): FaultProfile {
    const prng = this.prng;
    return {
      network: {
        dropProbability: prng.pick([0, 0.01, 0.05, 0.15]),
        duplicateProbability: prng.pick([0, 0.02, 0.1]),
        slowProbability: prng.pick([0, 0.05, 0.2]),
        fifo: prng.chance(0.7),
        delayTimeMin: 1,
        delayTimeMax: prng.pick([5, 10, 25]),
        slowDelayTimeMax: prng.pick([60, 200]),
      },
      syncDelayTimeMax: prng.pick([5, 15, 60]),
      actionProbability: prng.pick([0.05, 0.1, 0.2]),
      weights: {
        propose: 30,
        snapshot: prng.pick([2, 6, 20]),
        crash: prng.pick([0.5, 2]),
        crashLeader: prng.pick([0, 0.5, 1]),
        restart: 1,
        wipe: prng.pick([0, 0.5]),
        partition: prng.pick([0.5, 2]),
        isolateLeader: prng.pick([0.5, 1.5]),
        cutLink: prng.pick([0.5, 1.5]),
        heal: 1,
      },
    };
  }

  private finalStats(): SimulationStats {
    return {
      ...this.stats,
      simulatedTicks: Math.floor(this.now / TICK_INTERVAL_TIME),
      committedEntries: this.checker.committedLastIndex,
      leaderElections: this.checker.leaderElectionCount,
      maxTerm: Math.max(0, ...this.replicas.map((replica) => replica.node?.status.term ?? 0)),
      messagesSent: this.network.sentCount,
      messagesDropped: this.network.droppedCount,
      messagesDuplicated: this.network.duplicatedCount,
      syncs: this.replicas.reduce((sum, replica) => sum + replica.disk.syncCount, 0),
      logsReplacedOnRecovery: this.replicas.reduce((sum, replica) => sum + replica.disk.logsReplacedOnRecovery, 0),
    };
  }

  private describeReplicas(): string {
    return this.replicas
      .map((replica) => {
        const status = replica.node?.status;
        if (status === undefined) return `${replica.replicaId}: down`;
        const progress = status.role !== 'leader' ? '' : ` [${this.replicas
          .filter((other) => other !== replica)
          .map((other) => {
            const of = replica.node!.progressOf(other.replicaId)!;
            return `${other.replicaId}: ${of.state} match ${of.matchIndex} next ${of.nextIndex}`;
          })
          .join(', ')}]`;
        return `${replica.replicaId}: ${status.role} t${status.term} commit ${status.commitIndex} durable ${status.durableIndex} last ${status.lastIndex} snapshot ${status.snapshotIndex}${status.recovering ? ' recovering' : ''}${progress}`;
      })
      .join('; ');
  }

  private describeFailure(error: unknown, step: number): string {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const where = step < this.options.steps ? `at step ${step}` : 'in the liveness check';
    return [
      `Seed ${this.options.seed} failed ${where} (time ${this.now}, ${this.replicas.length} replicas): ${reason}`,
      `Replicas: ${this.describeReplicas()}`,
      `Network: ${this.network.describe()}`,
      'Last notable events:',
      ...this.notes.map((line) => `  ${line}`),
      error instanceof Error && !(error instanceof LivenessFailure) ? `Stack: ${error.stack}` : '',
    ].join('\n');
  }
}

class LivenessFailure extends Error {
  override readonly name = 'LivenessFailure';
}

function emptyStats(replicaCount: number): SimulationStats {
  return {
    replicaCount,
    simulatedTicks: 0,
    committedEntries: 0,
    leaderElections: 0,
    maxTerm: 0,
    proposalsAccepted: 0,
    proposalsRefused: 0,
    crashes: 0,
    wipes: 0,
    partitions: 0,
    messagesSent: 0,
    messagesDropped: 0,
    messagesDuplicated: 0,
    syncs: 0,
    logsReplacedOnRecovery: 0,
    truncations: 0,
    proposalsReportedCommitted: 0,
    proposalsReportedLost: 0,
    proposalsOutcomeUnknown: 0,
    proposalsOutcomeUnknownButCommitted: 0,
    snapshotTransfersInterrupted: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    snapshotChunksReceived: 0,
    entriesApplied: 0,
  };
}

function describeMessage(message: RaftMessage): string {
  const { type, from, to, term, ...rest } = message;
  const fields = Object.entries(rest)
    .map(([name, value]) => `${name}=${Array.isArray(value) ? `[${value.length}]` : value instanceof Uint8Array ? `${value.byteLength}B` : value}`)
    .join(' ');
  return `${type} ${from}->${to} t${term} ${fields}`;
}
