import { fsyncDirectory } from '../files/durable-files.js';
import type { Segment } from './segment.js';

type FileChange = { kind: 'delete'; segments: Segment[] } | { kind: 'truncate'; segment: Segment; sizeBytes: number };

/**
 * Truncations and deletions that the log has made in memory but not yet on disk. They wait for the file operation
 * in flight and are applied before the next one starts, so a flush never writes into a file that has not been cut
 * to what memory says yet. Both remove the segment's index file first (Segment.truncateFile, Segment.delete), so an
 * index written by an earlier file operation never outlives the bytes it describes.
 */
export class FileChanges {
  private readonly changes: FileChange[] = [];

  constructor(
    private readonly directory: string,
    private readonly fsync: boolean,
  ) {}

  /** Deletes whole segment files, in the given order. */
  delete(segments: Segment[]): void {
    if (segments.length > 0) this.changes.push({ kind: 'delete', segments });
  }

  /** Cuts a segment file to sizeBytes (never extends it). */
  truncate(segment: Segment, sizeBytes: number): void {
    this.changes.push({ kind: 'truncate', segment, sizeBytes });
  }

  async apply(): Promise<void> {
    while (this.changes.length > 0) {
      const change = this.changes[0];
      if (change.kind === 'delete') {
        await deleteSegmentFiles(change.segments, this.directory, this.fsync);
      } else {
        await change.segment.truncateFile(change.sizeBytes, this.fsync);
      }
      this.changes.shift();
    }
  }

  /** Closes the files of segments still waiting for deletion, for a log that stops without applying changes. */
  async closeFiles(): Promise<void> {
    for (const change of this.changes) {
      if (change.kind === 'delete') await Promise.allSettled(change.segments.map((segment) => segment.close()));
    }
  }
}

/**
 * Closes and deletes the files of segments (each index file first) in the given order, then makes their removal
 * durable. between, if given, is awaited between two deletions (a compaction's pacing).
 */
export async function deleteSegmentFiles(segments: Segment[], directory: string, fsync: boolean, between?: () => Promise<void>): Promise<void> {
  for (let i = 0; i < segments.length; i++) {
    if (i > 0 && between !== undefined) await between();
    await segments[i].delete();
  }
  if (fsync) await fsyncDirectory(directory);
}
