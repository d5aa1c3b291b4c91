import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Engine, type JobStreamRegistry } from '../engine/index.js';
import { SegmentedLog } from '../log/index.js';
import { decodeRecordBatch, peekFirstPosition, type Record } from '../protocol/index.js';
import { SnapshotStore, StateStore, restoreSnapshot } from '../state/index.js';
import { findEntryIndexForPosition } from './log-position-search.js';
import type { PartitionSettings } from './partition-settings.js';

export interface RecoveredPartition {
  log: SegmentedLog;
  store: StateStore;
  snapshots: SnapshotStore;
  engine: Engine;
  /** The position the next record gets. */
  nextPosition: number;
  /** Commands in the log that were never processed (written as follow-ups past a batch bound before a crash). */
  unprocessedCommands: Record[];
}

/** What a partition's engine is made from: the same for a broker's own partition and a cluster's replica. */
export interface PartitionEngineOptions {
  partitionId: number;
  jobStreams: JobStreamRegistry;
  /** Partitions in the cluster: messages live on the partition their correlation key hashes to. */
  partitionCount?: number;
  settings: PartitionSettings;
}

export interface RecoveryOptions extends PartitionEngineOptions {
  directory: string;
  /** Wall clock for snapshot metadata only. */
  nowMs: () => number;
}

/**
 * Opens a partition's log and state and brings the state up to the end of the log. RocksDB keeps the position
 * its state covers, so only the log after it is replayed; a lost state directory is rebuilt from the newest
 * snapshot first.
 */
export async function recoverPartition(options: RecoveryOptions): Promise<RecoveredPartition> {
  const { fsync, segmentSizeBytesMax } = options.settings;
  const log = await SegmentedLog.open({ directory: join(options.directory, 'log'), fsync, segmentSizeBytesMax });
  const snapshots = new SnapshotStore({ dataDirectory: options.directory });
  const stateDirectory = join(options.directory, 'state');
  if (!existsSync(stateDirectory)) {
    const latest = await snapshots.latest();
    if (latest) await restoreSnapshot(latest.directory, stateDirectory);
  }
  const store = await openStateCoveringLog(log, snapshots, stateDirectory, options.nowMs);
  const engine = newPartitionEngine(options, store);
  const { nextPosition, unprocessedCommands } = replayLog(log, store, engine);
  await store.persist(store.position);
  return { log, store, snapshots, engine, nextPosition, unprocessedCommands };
}

/** The engine of a partition over its state, configured by the partition's settings. */
export function newPartitionEngine(options: PartitionEngineOptions, store: StateStore): Engine {
  const { idempotencyWindowMs, allowUnknownCalledProcess } = options.settings;
  return new Engine({
    partitionId: options.partitionId,
    partitionCount: options.partitionCount,
    store,
    jobStreams: options.jobStreams,
    idempotencyWindowMs,
    allowUnknownCalledProcess,
  });
}

/**
 * Opens the state, and rebuilds it from the newest snapshot when the log no longer reaches back to where the state
 * stops (RocksDB writes without fsync, so after a power loss it may come back older than the compacted log).
 */
async function openStateCoveringLog(log: SegmentedLog, snapshots: SnapshotStore, stateDirectory: string, nowMs: () => number): Promise<StateStore> {
  const store = await StateStore.open({ directory: stateDirectory, nowMs });
  const first = log.lastIndex >= log.firstIndex ? log.read(log.firstIndex) : undefined;
  if (!first || peekFirstPosition(first.payload) <= store.position + 1) return store;
  const latest = await snapshots.latest();
  if (!latest || peekFirstPosition(first.payload) > latest.position + 1) {
    await store.close();
    throw new Error(
      `The state in ${stateDirectory} covers position ${store.position}, but the log starts at position ${peekFirstPosition(first.payload)} and no snapshot bridges the gap; refusing to start with lost state`,
    );
  }
  await store.close();
  await rm(stateDirectory, { recursive: true, force: true });
  await restoreSnapshot(latest.directory, stateDirectory);
  return StateStore.open({ directory: stateDirectory, nowMs });
}

function replayLog(log: SegmentedLog, store: StateStore, engine: Engine): { nextPosition: number; unprocessedCommands: Record[] } {
  const statePosition = store.position;
  const startPosition = Math.min(statePosition, engine.state.lastProcessedPosition) + 1;
  const startIndex = findEntryIndexForPosition(log, startPosition);
  let lastPosition = statePosition;
  const candidates: Record[] = [];
  if (startIndex === undefined) return { nextPosition: lastPosition + 1, unprocessedCommands: [] };
  const reader = log.reader(startIndex);
  for (let entry = reader.next(); entry; entry = reader.next()) {
    const records = decodeRecordBatch(entry.payload);
    let applied = false;
    for (const record of records) {
      if (record.recordType === 'COMMAND' && !record.processedInBatch) candidates.push(record);
      if (record.position <= statePosition) continue;
      engine.replay(record);
      applied = true;
    }
    lastPosition = Math.max(lastPosition, records[records.length - 1].position);
    if (applied) engine.endReplayedEntry(lastPosition);
  }
  const processed = engine.state.lastProcessedPosition;
  return { nextPosition: lastPosition + 1, unprocessedCommands: candidates.filter((command) => command.position > processed) };
}
