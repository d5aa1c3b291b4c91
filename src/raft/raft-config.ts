export type ReplicaId = number;

/** Static configuration of one replica of a Raft group. Every bound is named with its unit. */
export interface RaftConfig {
  /** This replica. */
  replicaId: ReplicaId;
  /** Every replica of the group, this one included. Membership is static: the replica set is configuration. */
  replicaIds: readonly ReplicaId[];
  /** A follower that hears no leader for a random time between this and twice this campaigns. */
  electionTimeoutTicks: number;
  /** How often a leader sends heartbeats; well below electionTimeoutTicks. */
  heartbeatIntervalTicks: number;
  /** Entries per AppendRequest at most. */
  appendEntriesCountMax: number;
  /** Payload bytes per AppendRequest at most (a single larger entry still travels alone). */
  appendSizeBytesMax: number;
  /** AppendRequests with entries in flight to one follower at most (pipelining in the replicate state). */
  appendRequestsInFlightMax: number;
  /** Snapshot bytes per InstallSnapshot chunk at most. */
  snapshotChunkSizeBytes: number;
  /** Snapshot chunks in flight to one follower at most. */
  snapshotChunksInFlightMax: number;
  /** Proposed payload bytes not yet committed at most; beyond, propose refuses (back-pressure). */
  uncommittedSizeBytesMax: number;
  /** Payload bytes of committed entries per Ready at most (a single larger entry still travels alone). */
  applySizeBytesMax: number;
}

export type RaftConfigInput = Pick<RaftConfig, 'replicaId' | 'replicaIds'> & Partial<Omit<RaftConfig, 'replicaId' | 'replicaIds'>>;

const KIBIBYTE = 1024;
const MEBIBYTE = 1024 * KIBIBYTE;

export const RAFT_CONFIG_DEFAULTS: Omit<RaftConfig, 'replicaId' | 'replicaIds'> = {
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 2,
  appendEntriesCountMax: 512,
  appendSizeBytesMax: MEBIBYTE,
  appendRequestsInFlightMax: 16,
  snapshotChunkSizeBytes: 512 * KIBIBYTE,
  snapshotChunksInFlightMax: 4,
  uncommittedSizeBytesMax: 64 * MEBIBYTE,
  applySizeBytesMax: 4 * MEBIBYTE,
};

const POSITIVE_FIELDS = [
  'electionTimeoutTicks',
  'heartbeatIntervalTicks',
  'appendEntriesCountMax',
  'appendSizeBytesMax',
  'appendRequestsInFlightMax',
  'snapshotChunkSizeBytes',
  'snapshotChunksInFlightMax',
  'uncommittedSizeBytesMax',
  'applySizeBytesMax',
] as const;

/** Fills in defaults and rejects a configuration that could not work (a programmer error, so it throws). */
export function resolveRaftConfig(input: RaftConfigInput): RaftConfig {
  const config: RaftConfig = { ...RAFT_CONFIG_DEFAULTS, ...stripUndefined(input), replicaId: input.replicaId, replicaIds: [...input.replicaIds] };
  for (const field of POSITIVE_FIELDS) {
    if (!Number.isSafeInteger(config[field]) || config[field] < 1) {
      throw new RangeError(`Expected RaftConfig.${field} to be a positive integer, got ${config[field]}`);
    }
  }
  if (config.heartbeatIntervalTicks >= config.electionTimeoutTicks) {
    throw new RangeError(
      `Expected RaftConfig.heartbeatIntervalTicks (${config.heartbeatIntervalTicks}) to be below electionTimeoutTicks (${config.electionTimeoutTicks})`,
    );
  }
  if (new Set(config.replicaIds).size !== config.replicaIds.length || config.replicaIds.some((id) => !Number.isSafeInteger(id) || id < 0)) {
    throw new RangeError(`Expected RaftConfig.replicaIds to be distinct non-negative integers, got [${config.replicaIds.join(', ')}]`);
  }
  if (!config.replicaIds.includes(config.replicaId)) {
    throw new RangeError(`Expected RaftConfig.replicaIds [${config.replicaIds.join(', ')}] to include replicaId ${config.replicaId}`);
  }
  return config;
}

function stripUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The smallest number of replicas that forms a majority. */
export function quorumSize(replicaCount: number): number {
  return Math.floor(replicaCount / 2) + 1;
}
