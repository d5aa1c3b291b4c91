/** One entry of the log: a Raft term and index around an opaque payload (a batch of encoded records). */
export interface LogEntry {
  index: number;
  term: number;
  payload: Buffer;
}

/** A synchronous forward cursor over the log. */
export interface LogReader {
  /** The entry at the cursor, advancing it; undefined at the end of the log (a later call sees later appends). */
  next(): LogEntry | undefined;
  /** Moves the cursor so that next() returns the entry at index. */
  seek(index: number): void;
}
