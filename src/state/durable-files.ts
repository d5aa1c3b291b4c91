import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * File operations that survive a power loss once they resolve: data is fsynced before it is published by a rename,
 * and the directories holding a new name are fsynced too, or the name itself could vanish.
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

export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
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
