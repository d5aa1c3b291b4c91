import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Keeps two brokers off one data directory: a lock file holding the owner's process id. A lock left behind by a
 * process that is gone (after SIGKILL) is taken over; one held by a live process refuses the start with a message.
 */
export class DataDirectoryLock {
  private constructor(private readonly file: string) {}

  static async acquire(dataDirectory: string): Promise<DataDirectoryLock> {
    const file = join(dataDirectory, 'broker.lock');
    const owner = await readOwner(file);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new Error(`The data directory ${dataDirectory} is in use by another broker (process ${owner}); stop it or choose another --data-dir`);
    }
    await writeFile(file, `${process.pid}\n`);
    return new DataDirectoryLock(file);
  }

  async release(): Promise<void> {
    if ((await readOwner(this.file)) === process.pid) await rm(this.file, { force: true });
  }
}

async function readOwner(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
