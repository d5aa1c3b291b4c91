import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { toExportedJson, type Record } from '../protocol/index.js';
import type { Exporter, ExporterContext } from './exporter.js';

export interface JsonLinesExporterOptions {
  /** The file records are appended to; created with its folder when missing. */
  file: string;
  /** Defaults to 'json-lines'; give each instance its own id when a broker runs several. */
  id?: string;
  /** Lines are written in chunks of about this size, so a large batch never becomes one huge string. */
  writeChunkBytesMax?: number;
  /**
   * Other exporters append to the same file at the same time (a broker's partitions, on its threads): this one then
   * never cuts the file, since a cut computed from the file's end can remove the others' acknowledged lines that are
   * being written meanwhile. Whoever owns the file cuts a torn tail once before any of them opens it
   * (cutTornJsonLinesTail).
   */
  shared?: boolean;
}

export const JSON_LINES_WRITE_CHUNK_BYTES_MAX_DEFAULT = 1024 * 1024;
const TAIL_SCAN_BYTES = 64 * 1024;

/** The id the JSON-lines exporter has unless configured otherwise; its acknowledged positions are stored under it. */
export const JSON_LINES_EXPORTER_ID = 'json-lines';

/**
 * Appends every record as one line of Zeebe's exported record JSON (`toExportedJson`). Each batch the director
 * hands over is written, fsynced, and only then acknowledged, so an acknowledged record survives a crash.
 *
 * A crash in the middle of a write can leave a torn last line; opening the file cuts it off (it was never
 * acknowledged, so it is exported again). Lines of a batch that was written but not acknowledged may appear twice.
 */
export class JsonLinesExporter implements Exporter {
  readonly id: string;
  private readonly file: string;
  private readonly writeChunkBytesMax: number;
  private readonly shared: boolean;
  private handle: FileHandle | undefined;
  private context: ExporterContext | undefined;
  /** The file's size after the last fsync: a failed write is cut back to it, so no torn line stays behind. */
  private durableSizeBytes = 0;

  constructor(options: JsonLinesExporterOptions) {
    this.id = options.id ?? JSON_LINES_EXPORTER_ID;
    this.file = options.file;
    this.writeChunkBytesMax = options.writeChunkBytesMax ?? JSON_LINES_WRITE_CHUNK_BYTES_MAX_DEFAULT;
    this.shared = options.shared ?? false;
  }

  async open(context: ExporterContext): Promise<void> {
    const folder = path.dirname(this.file);
    await mkdir(folder, { recursive: true });
    const handle = await open(this.file, 'a+');
    try {
      this.durableSizeBytes = this.shared ? 0 : await cutTornTail(handle);
      await handle.sync();
      await syncFolder(folder);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.handle = handle;
    this.context = context;
  }

  async export(records: readonly Record[]): Promise<void> {
    if (this.handle === undefined || this.context === undefined) {
      throw new Error(`Expected exporter '${this.id}' to be open before it exports`);
    }
    if (records.length === 0) return;
    const handle = this.handle;
    let writtenBytes = 0;
    try {
      for (const chunk of this.chunks(records)) {
        await writeFully(handle, chunk);
        writtenBytes += chunk.length;
      }
      await handle.sync();
    } catch (error) {
      // Cut the file back to what was durable, so the retry does not leave half a line before its own lines (a
      // shared file is not ours to cut: the others' lines after our durable size are theirs).
      if (!this.shared) await handle.truncate(this.durableSizeBytes).catch(() => undefined);
      throw error;
    }
    this.durableSizeBytes += writtenBytes;
    this.context.acknowledge(records[records.length - 1].position);
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.context = undefined;
    await handle?.close();
  }

  private *chunks(records: readonly Record[]): Generator<Buffer> {
    let text = '';
    for (const record of records) {
      text += `${toExportedJson(record)}\n`;
      // Characters undercount UTF-8 bytes by at most 3x; the bound is about memory, not exact sizes.
      if (text.length >= this.writeChunkBytesMax) {
        yield Buffer.from(text, 'utf8');
        text = '';
      }
    }
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
}

async function writeFully(handle: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Cuts a torn last line (left by a crash) off a JSON-lines file shared by several exporters, before any of them
 * opens it; a missing file is left missing.
 */
export async function cutTornJsonLinesTail(file: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await cutTornTail(handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Cuts the file after its last newline and returns the new size. */
async function cutTornTail(handle: FileHandle): Promise<number> {
  const { size } = await handle.stat();
  let end = size;
  const buffer = Buffer.alloc(TAIL_SCAN_BYTES);
  while (end > 0) {
    const start = Math.max(0, end - TAIL_SCAN_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, end - start, start);
    const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (newline !== -1) {
      end = start + newline + 1;
      break;
    }
    end = start;
  }
  if (end !== size) await handle.truncate(end);
  return end;
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
