import { open, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * File operations that survive a power loss once they resolve: data is fsynced before it is published by a rename,
 * and the directories holding a new name are fsynced too, or the name itself could vanish. Every layer may import
 * this module (it imports nothing of ours), so the log, the state and the broker share one way of doing it.
 */

/** Writes a new file (failing if it exists) and fsyncs it. */
export async function writeFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the creation, rename or deletion of a name in the directory durable: fsync on a file does not cover its name. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface ReplaceFileOptions {
  /** False when the broker runs with fsync off: readers still see the old file or the new one whole, but a power loss may lose either. */
  fsync: boolean;
  /** False when the caller replaces many files in one directory and fsyncs that directory once after all of them. */
  syncDirectory: boolean;
  /** Where the data is written before the rename, `${path}.tmp` unless given: recovery code removes leftovers by this name. */
  temporaryPath?: string;
}

/**
 * Replaces `path` with `data` so that after a crash it is whole, old or new, never torn: the data goes to a temporary
 * file (a leftover of an earlier crash is overwritten), which is fsynced and renamed over `path`; then the directory is
 * fsynced so that the rename itself survives. On failure the temporary is removed and `path` is left as it was.
 */
export async function replaceFileAtomically(path: string, data: Uint8Array | string, options: ReplaceFileOptions): Promise<void> {
  const temporaryPath = options.temporaryPath ?? `${path}.tmp`;
  try {
    const handle = await open(temporaryPath, 'w');
    try {
      await handle.writeFile(data);
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, path);
  } catch (error) {
    await unlink(temporaryPath).catch(() => undefined);
    throw error;
  }
  if (options.fsync && options.syncDirectory) await fsyncDirectory(dirname(path));
}

/** Fsyncs `from` (so its entries are durable), renames it to `to`, then fsyncs the parent that now holds `to`. */
export async function publishDirectory(from: string, to: string): Promise<void> {
  await fsyncDirectory(from);
  await rename(from, to);
  await fsyncDirectory(dirname(to));
}

export async function removeDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}
