import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDirectory } from '../files/durable-files.js';
import { StateError } from './errors.js';
import { readManifest, toSnapshotMetadata } from './snapshot-format.js';
import type { StateStore } from './state-store.js';
import type { SnapshotMetadata } from './types.js';

export interface SnapshotStoreOptions {
  /** The partition's data directory; snapshots live in <dataDirectory>/snapshots/<position>/. */
  dataDirectory: string;
  /** How many of the newest snapshots prune keeps. */
  keepCount?: number;
  chunkSizeBytesMax?: number;
}

export const SNAPSHOT_KEEP_COUNT_DEFAULT = 2;

const POSITION_NAME = /^\d+$/;

/**
 * The snapshots of one partition. Takes and prunes run one at a time, so a prune never deletes the temporary
 * directory of a snapshot being written.
 */
export class SnapshotStore {
  readonly directory: string;
  private readonly keepCount: number;
  private readonly chunkSizeBytesMax: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SnapshotStoreOptions) {
    this.directory = join(options.dataDirectory, 'snapshots');
    this.keepCount = options.keepCount ?? SNAPSHOT_KEEP_COUNT_DEFAULT;
    this.chunkSizeBytesMax = options.chunkSizeBytesMax;
    if (!Number.isSafeInteger(this.keepCount) || this.keepCount < 1) throw new RangeError(`Expected to keep at least one snapshot, but keepCount is ${this.keepCount}`);
  }

  /**
   * Takes a snapshot of the state (unless the newest one already covers its position, which is then returned) and
   * prunes older ones.
   */
  take(state: StateStore, options: { persistUpTo?: number } = {}): Promise<SnapshotMetadata> {
    return this.serialise(async () => {
      const latest = await this.latest();
      const covers = options.persistUpTo ?? state.position;
      if (latest !== undefined && latest.position >= covers) return latest;
      const snapshot = await state.takeSnapshot((position) => join(this.directory, String(position)), {
        chunkSizeBytesMax: this.chunkSizeBytesMax,
        persistUpTo: options.persistUpTo,
      });
      await this.pruneNow();
      return snapshot;
    });
  }

  /** Every readable snapshot, oldest first. Snapshots whose metadata is corrupted are left out (restore would refuse them). */
  async list(): Promise<SnapshotMetadata[]> {
    const snapshots: SnapshotMetadata[] = [];
    for (const name of await this.positionNames()) {
      const directory = join(this.directory, name);
      try {
        snapshots.push(toSnapshotMetadata(await readManifest(directory), directory));
      } catch (error) {
        if (!(error instanceof StateError)) throw error;
      }
    }
    return snapshots;
  }

  async latest(): Promise<SnapshotMetadata | undefined> {
    const snapshots = await this.list();
    return snapshots[snapshots.length - 1];
  }

  /** Deletes all but the newest keepCount snapshots, and leftovers of snapshots that crashed half-way. Returns the positions deleted. */
  prune(): Promise<number[]> {
    return this.serialise(() => this.pruneNow());
  }

  private async pruneNow(): Promise<number[]> {
    const names = await this.positionNames();
    const deleted = names.slice(0, Math.max(0, names.length - this.keepCount));
    for (const name of deleted) await removeDirectory(join(this.directory, name));
    for (const name of await this.entryNames()) {
      if (name.endsWith('.tmp')) await removeDirectory(join(this.directory, name));
    }
    return deleted.map(Number);
  }

  /** Names of snapshot directories, oldest (lowest position) first. */
  private async positionNames(): Promise<string[]> {
    const names = (await this.entryNames()).filter((name) => POSITION_NAME.test(name));
    return names.sort((left, right) => Number(left) - Number(right));
  }

  private async entryNames(): Promise<string[]> {
    try {
      return await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private serialise<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
