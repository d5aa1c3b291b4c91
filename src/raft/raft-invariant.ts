/**
 * A broken Raft invariant: a bug in the core or in its caller (for example a storage adapter that did not apply a
 * Ready's writes). It is never an expected condition, so nothing catches it; the replica stops rather than risk
 * committing or applying something that is not committed on a quorum.
 */
export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

/** Throws RaftInvariantError when condition is false; describe builds the message only then. */
export function assertInvariant(condition: boolean, describe: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(describe());
}
