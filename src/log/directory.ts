import { open } from 'node:fs/promises';

/**
 * fsyncs a directory, which makes the creation or deletion of a file in it durable: fdatasync on the file itself
 * does not cover its name.
 */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
