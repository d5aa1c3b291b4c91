/** One entry of the replicated log: an opaque payload at a position, stamped with the term of the leader that wrote it. */
export interface RaftEntry {
  index: number;
  term: number;
  /**
   * What the application proposed. A zero-length payload is the no-op entry a new leader writes to commit the
   * entries of earlier terms; applications skip it.
   */
  payload: Uint8Array;
}

/**
 * The log as the storage holds it, read synchronously (SegmentedLog keeps terms in memory and reads entries without
 * waiting). Raft never writes it: writes travel in Ready and the caller applies them before the next input. Reads
 * see every entry written, durable or not; durability is reported separately through RaftNode.persisted.
 */
export interface RaftLogStorage {
  /** The index of the first entry held; on an empty log, lastIndex + 1. Entries below were compacted. */
  readonly firstIndex: number;
  /** The index of the last entry held; firstIndex - 1 on an empty log. */
  readonly lastIndex: number;
  /** The term of the entry at index, undefined outside firstIndex..lastIndex. */
  termAt(index: number): number | undefined;
  /**
   * The entries fromIndex..toIndex (inclusive, both within the log), stopping before the entry that would make the
   * payloads exceed sizeBytesMax; always at least one entry, however large.
   */
  entries(fromIndex: number, toIndex: number, sizeBytesMax: number): RaftEntry[];
}

/** A snapshot's position: it replaces every entry up to index, and the entry at index has term. */
export interface SnapshotMetadata {
  index: number;
  term: number;
}

export interface SnapshotChunk {
  bytes: Uint8Array;
  totalSizeBytes: number;
}

/** The leader's snapshots, read in chunks to send them to followers that are behind the compacted log. */
export interface SnapshotSource {
  /**
   * Up to sizeBytesMax bytes of the snapshot (index, term) from offsetBytes, or undefined when that snapshot no longer
   * exists (a newer one replaced it). The latest snapshot reported through snapshotTaken or snapshotInstalled must
   * be readable.
   */
  read(index: number, term: number, offsetBytes: number, sizeBytesMax: number): SnapshotChunk | undefined;
}

/** What must survive a restart besides the log: the term, the vote cast in it and how far the log is committed. */
export interface HardState {
  term: number;
  /** The replica this one voted for in term, undefined when it has not voted in term. */
  votedFor: number | undefined;
  commitIndex: number;
  /**
   * Set while the replica recovers from a lost log: the term it was in when the log was lost. It neither votes nor
   * campaigns until it holds, committed, an entry of a later term. Persisted so that a restart keeps recovering.
   */
  logLostInTerm?: number;
}
