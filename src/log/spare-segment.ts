import { access, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** The name of the spare segment file in a log directory; recovery deletes one it finds (see deleteSpareSegmentFile). */
export const SPARE_SEGMENT_FILE_NAME = 'spare-segment.tmp';

/** Zeros are written in pieces of this size, so that preparing a spare needs little memory and no long write. */
const ZERO_WRITE_BYTES = 1024 * 1024;
/**
 * With fsync on, the spare is synced after every this many bytes: the disk then takes the zeros in pieces the log's
 * own fdatasyncs can pass between, instead of one flush of the whole segment that they would queue behind.
 */
const ZERO_SYNC_BYTES = 4 * 1024 * 1024;

/**
 * A segment file written full of zeros (and synced) before the log needs it, so that the log's group commits
 * overwrite blocks the file already has instead of growing it.
 *
 * Why: fdatasync after a write that grows a file must also commit the new size, and on ext4 that is a journal commit,
 * which waits for other files' data written in the same commit (RocksDB's memtable flushes, for one). Measured on the
 * benchmark machine at 1,000 instances/s (alternating single runs): the log's fdatasyncs took 0.31-0.38 ms at the
 * median second's p50 instead of 0.46-0.58 ms, and 0.44-0.55 ms on average instead of 0.56-0.71 ms. fallocate
 * alone does not help: the first write into an allocated-but-unwritten extent is a metadata change too. PostgreSQL
 * zero-fills new WAL segments for the same reason.
 *
 * The cost is writing each segment's size twice, once in zeros; the log asks for a spare only once its last segment is
 * half full, so a log that never rolls over (most tests, an idle partition) never writes one.
 */
export class SpareSegment {
  private readonly filePath: string;
  /** The spare, written and synced, waiting to become a segment. */
  private ready: FileHandle | undefined;
  private preparing: Promise<void> | undefined;
  private closed = false;

  constructor(
    directory: string,
    private readonly sizeBytes: number,
    private readonly fsync: boolean,
    private readonly onWarning: (message: string) => void,
  ) {
    this.filePath = path.join(directory, SPARE_SEGMENT_FILE_NAME);
  }

  /** Starts writing a spare unless one is ready or being written. Never waits: the writing runs beside the log's. */
  prepare(): void {
    if (this.ready !== undefined || this.preparing !== undefined || this.closed) return;
    this.preparing = this.write()
      .then((handle) => {
        this.ready = handle;
      })
      .catch(async (error: unknown) => {
        // Without a spare the log creates its next segment as a new, empty file: slower syncs, nothing lost.
        this.onWarning(`Could not prepare a spare log segment in ${this.filePath} (${(error as Error).message}); the next segment starts empty.`);
        await unlink(this.filePath).catch(() => undefined);
      })
      .finally(() => {
        this.preparing = undefined;
      });
  }

  /**
   * Renames the ready spare to segmentPath and returns it open for reading and writing, or undefined when no spare is
   * ready (the caller then creates the file). The caller fsyncs the directory, as for a file it created.
   */
  async claim(segmentPath: string): Promise<FileHandle | undefined> {
    const handle = this.ready;
    if (handle === undefined) return undefined;
    // A stale file with the segment's name would mean the log lost track of its own files; rename would replace it.
    if (await exists(segmentPath)) throw Object.assign(new Error(`EEXIST: file already exists, claiming a spare segment as '${segmentPath}'`), { code: 'EEXIST' });
    this.ready = undefined;
    try {
      await rename(this.filePath, segmentPath);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return handle;
  }

  /** Resolves once no spare is being written (for tests: whether the next segment starts in a spare is then known). */
  async prepared(): Promise<void> {
    await this.preparing;
  }

  /** Waits for a spare being written, then deletes the spare file. */
  async close(): Promise<void> {
    this.closed = true;
    await this.preparing;
    const handle = this.ready;
    this.ready = undefined;
    if (handle === undefined) return;
    await handle.close();
    await unlink(this.filePath);
  }

  private async write(): Promise<FileHandle> {
    await unlink(this.filePath).catch(() => undefined);
    const handle = await open(this.filePath, 'wx+');
    try {
      const zeros = Buffer.alloc(Math.min(ZERO_WRITE_BYTES, this.sizeBytes));
      for (let at = 0; at < this.sizeBytes; at += zeros.length) {
        const lengthBytes = Math.min(zeros.length, this.sizeBytes - at);
        const { bytesWritten } = await handle.write(zeros, 0, lengthBytes, at);
        if (bytesWritten !== lengthBytes) throw new Error(`short write of ${bytesWritten} of ${lengthBytes} bytes at byte ${at} (is the disk full?)`);
        if (this.fsync && (at + lengthBytes) % ZERO_SYNC_BYTES === 0) await handle.datasync();
      }
      // Its blocks and its size must be on disk before a segment's fdatasync can skip the metadata.
      if (this.fsync) await handle.sync();
      return handle;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }
}

/** Deletes a spare left by a broker that stopped without closing its log: whether all of it was written is unknown. */
export async function deleteSpareSegmentFile(directory: string): Promise<void> {
  await unlink(path.join(directory, SPARE_SEGMENT_FILE_NAME)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await access(filePath);
    return true;
  } catch {
    return false;
  }
}
