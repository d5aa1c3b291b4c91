import { MemoryRaftLogStorage, type HardState, type RaftEntry, type SnapshotChunk, type SnapshotMetadata } from '../../src/raft/index.js';
import type { Prng } from './prng.js';

type LogWrite =
  | { kind: 'truncate'; afterIndex: number }
  | { kind: 'append'; entries: readonly RaftEntry[] }
  | { kind: 'compact'; beforeIndex: number }
  | { kind: 'reset'; nextIndex: number };

export interface StoredSnapshot extends SnapshotMetadata {
  bytes: Uint8Array;
}

/** What a restart finds on the disk. */
export interface DurableContents {
  hardState: HardState | undefined;
  snapshot: StoredSnapshot | undefined;
  log: MemoryRaftLogStorage;
}

/** How many snapshots a replica keeps: the newest, and the one before while a transfer may still read it. */
const SNAPSHOTS_KEPT_MAX = 2;

/**
 * One replica's disk. Log writes land in the page cache at once (reads see them) and become durable only when a
 * sync that started after them completes; a crash keeps what was synced plus a random prefix of the rest, down to
 * a torn append. The durable index follows SegmentedLog's rule: a truncation lowers it at once, also for the sync
 * in flight. The hard state is a separate small file: synced at once when the Ready says so, otherwise written and
 * durable with the next sync (or, after a crash, maybe). Snapshots are written to a temporary file, synced and
 * renamed, so they are durable as a whole or not at all.
 */
export class SimulatedDisk {
  view = new MemoryRaftLogStorage();
  durableIndex = 0;
  private durableLog = new MemoryRaftLogStorage();
  private durableHardState: HardState | undefined;
  /** Every hard state write gets the next version: a late sync must not replace a newer state with an older one. */
  private durableHardStateVersion = 0;
  private hardStateVersion = 0;
  private snapshots: StoredSnapshot[] = [];
  private unsyncedWrites: LogWrite[] = [];
  private unsyncedHardState: { hardState: HardState; version: number } | undefined;
  /** The sync in flight: the writes it covers, the hard state it carries and the index it makes durable. */
  private syncing: { writeCount: number; hardState: { hardState: HardState; version: number } | undefined; upToIndex: number } | undefined;
  syncCount = 0;
  /** Restarts that found a durable snapshot the log does not continue (a crash between an install and the log reset). */
  logsReplacedOnRecovery = 0;

  get syncInFlight(): boolean {
    return this.syncing !== undefined;
  }

  /** Log writes that no sync covers yet (the hard state alone never asks for a sync: it rides along with the next). */
  get hasUncoveredWrites(): boolean {
    return this.unsyncedWrites.length > (this.syncing?.writeCount ?? 0);
  }

  truncateAfter(index: number): void {
    this.view.truncateAfter(index);
    this.unsyncedWrites.push({ kind: 'truncate', afterIndex: index });
    this.lowerDurableIndex(index);
  }

  append(entries: readonly RaftEntry[]): void {
    this.view.append(entries);
    this.unsyncedWrites.push({ kind: 'append', entries });
  }

  compactBefore(index: number): void {
    this.view.compactBefore(index);
    this.unsyncedWrites.push({ kind: 'compact', beforeIndex: index });
  }

  resetLog(nextIndex: number): void {
    this.view.reset(nextIndex);
    this.unsyncedWrites.push({ kind: 'reset', nextIndex });
    this.lowerDurableIndex(nextIndex - 1);
  }

  writeHardState(hardState: HardState, sync: boolean): void {
    const version = ++this.hardStateVersion;
    if (sync) {
      this.makeHardStateDurable({ hardState, version });
      this.unsyncedHardState = undefined;
    } else {
      this.unsyncedHardState = { hardState, version };
    }
  }

  /** Starts a sync of everything written so far; false when one is in flight already (the caller retries after it). */
  startSync(): boolean {
    if (this.syncing !== undefined) return false;
    this.syncing = { writeCount: this.unsyncedWrites.length, hardState: this.unsyncedHardState, upToIndex: this.view.lastIndex };
    return true;
  }

  /** The sync in flight completes: what it covered is durable. Returns the durable index to report. */
  completeSync(): number {
    const syncing = this.syncing!;
    this.syncing = undefined;
    for (const write of this.unsyncedWrites.splice(0, syncing.writeCount)) applyWrite(this.durableLog, write);
    if (syncing.hardState !== undefined) {
      this.makeHardStateDurable(syncing.hardState);
      if (this.unsyncedHardState === syncing.hardState) this.unsyncedHardState = undefined;
    }
    this.durableIndex = Math.max(this.durableIndex, syncing.upToIndex);
    this.syncCount++;
    return this.durableIndex;
  }

  saveSnapshot(snapshot: StoredSnapshot): void {
    this.snapshots = [...this.snapshots.filter((kept) => kept.index !== snapshot.index), snapshot].sort((left, right) => left.index - right.index).slice(-SNAPSHOTS_KEPT_MAX);
  }

  get storedHardState(): HardState | undefined {
    return this.durableHardState;
  }

  get latestSnapshot(): StoredSnapshot | undefined {
    return this.snapshots[this.snapshots.length - 1];
  }

  readSnapshot(index: number, term: number, offsetBytes: number, sizeBytesMax: number): SnapshotChunk | undefined {
    const snapshot = this.snapshots.find((kept) => kept.index === index && kept.term === term);
    if (snapshot === undefined) return undefined;
    return { bytes: snapshot.bytes.subarray(offsetBytes, offsetBytes + sizeBytesMax), totalSizeBytes: snapshot.bytes.byteLength };
  }

  /**
   * Power loss: synced data stays; of the rest, a random prefix of the log writes reached the disk (the last append
   * maybe only in part), and the unsynced hard state maybe.
   */
  crash(prng: Prng): void {
    const survivingCount = prng.int(this.unsyncedWrites.length + 1);
    for (let position = 0; position < survivingCount; position++) {
      const write = this.unsyncedWrites[position];
      if (position === survivingCount - 1 && write.kind === 'append' && prng.chance(0.5)) {
        applyWrite(this.durableLog, { kind: 'append', entries: write.entries.slice(0, prng.int(write.entries.length + 1)) });
      } else {
        applyWrite(this.durableLog, write);
      }
    }
    if (this.unsyncedHardState !== undefined && prng.chance(0.5)) this.makeHardStateDurable(this.unsyncedHardState);
    this.unsyncedWrites = [];
    this.unsyncedHardState = undefined;
    this.syncing = undefined;
    this.view = new MemoryRaftLogStorage();
  }

  /** The data directory is lost (log and snapshots); the Raft metadata file with the hard state survives. */
  wipeData(): void {
    this.durableLog = new MemoryRaftLogStorage();
    this.snapshots = [];
  }

  /**
   * What a restart reads, repaired as a storage adapter must: a snapshot that the log does not continue (its install
   * was durable, the log reset was not) replaces the log with an empty one after it.
   */
  recover(): DurableContents {
    const snapshot = this.latestSnapshot;
    const log = this.durableLog.clone();
    if (snapshot !== undefined) {
      if (log.firstIndex > snapshot.index + 1) throw new Error(`Simulator bug: the durable log starts at ${log.firstIndex}, after the snapshot at ${snapshot.index}`);
      const continues = snapshot.index <= log.lastIndex && (snapshot.index === log.firstIndex - 1 || log.termAt(snapshot.index) === snapshot.term);
      if (!continues) {
        log.reset(snapshot.index + 1);
        this.logsReplacedOnRecovery++;
      }
    }
    this.durableLog = log.clone();
    this.view = log;
    this.durableIndex = log.lastIndex;
    return { hardState: this.durableHardState, snapshot, log };
  }

  private makeHardStateDurable(written: { hardState: HardState; version: number }): void {
    if (written.version <= this.durableHardStateVersion) return;
    this.durableHardState = written.hardState;
    this.durableHardStateVersion = written.version;
  }

  private lowerDurableIndex(index: number): void {
    this.durableIndex = Math.min(this.durableIndex, index);
    if (this.syncing !== undefined) this.syncing.upToIndex = Math.min(this.syncing.upToIndex, index);
  }
}

function applyWrite(log: MemoryRaftLogStorage, write: LogWrite): void {
  switch (write.kind) {
    case 'truncate':
      log.truncateAfter(write.afterIndex);
      return;
    case 'append':
      log.append(write.entries);
      return;
    case 'compact':
      log.compactBefore(write.beforeIndex);
      return;
    case 'reset':
      log.reset(write.nextIndex);
      return;
  }
}
