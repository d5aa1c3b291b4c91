import { access, mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { RegistryEvent } from './registry-events.js';
import type { SchemaRegistry } from './schema-registry.js';

/**
 * Where earlier versions kept the registry's events: a file in the broker's data directory. The registry now lives
 * in partition 1's log and state; the file store is kept to migrate that file (see migrateFileSchemaRegistry).
 */
export interface SchemaRegistryStore {
  /** Every event stored so far, in order. */
  load(): Promise<RegistryEvent[]>;
  /** Stores the event; resolves once it survives a crash. Appends never overlap (the registry serializes them). */
  append(event: RegistryEvent): Promise<void>;
  close(): Promise<void>;
}

const EVENTS_FILE = 'events.v1.jsonl';

/**
 * Events as JSON lines in `<folder>/events.v1.jsonl`, each appended and fsynced before the registry applies it.
 * A crash in the middle of an append leaves a torn last line, which load() cuts off: that event was never
 * acknowledged to the client.
 */
export class FileSchemaRegistryStore implements SchemaRegistryStore {
  private handle: FileHandle | undefined;
  private readonly file: string;

  constructor(readonly folder: string) {
    this.file = path.join(folder, EVENTS_FILE);
  }

  async load(): Promise<RegistryEvent[]> {
    await mkdir(this.folder, { recursive: true });
    const handle = await open(this.file, 'a+');
    try {
      const content = await handle.readFile();
      const end = content.lastIndexOf(0x0a) + 1;
      if (end !== content.length) await handle.truncate(end);
      await handle.sync();
      await syncFolder(this.folder);
      this.handle = handle;
      return content
        .subarray(0, end)
        .toString('utf8')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line, index) => parseEvent(line, this.file, index + 1));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async append(event: RegistryEvent): Promise<void> {
    if (this.handle === undefined) throw new Error(`Expected the schema registry store '${this.file}' to be loaded before it appends`);
    await this.handle.appendFile(`${JSON.stringify(event)}\n`, 'utf8');
    await this.handle.sync();
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

function parseEvent(line: string, file: string, lineNumber: number): RegistryEvent {
  try {
    const event = JSON.parse(line) as RegistryEvent;
    if (typeof event !== 'object' || event === null || typeof event.type !== 'string') throw new Error('it has no event type');
    return event;
  } catch (error) {
    throw new Error(`Expected line ${lineNumber} of the schema registry's events '${file}' to be an event, but ${(error as Error).message}`, { cause: error });
  }
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Keeps events in memory only: for tests and for a registry that needs no durability. */
export class MemorySchemaRegistryStore implements SchemaRegistryStore {
  readonly events: RegistryEvent[] = [];
  async load(): Promise<RegistryEvent[]> {
    return [...this.events];
  }
  async append(event: RegistryEvent): Promise<void> {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}

/**
 * Takes the registry of an earlier version (`<folder>/events.v1.jsonl`) over into the registry that lives in
 * partition 1, once: only into an empty registry, after which the file is renamed to `events.v1.jsonl.migrated`.
 * Returns how many events were imported.
 */
export async function migrateFileSchemaRegistry(folder: string, registry: SchemaRegistry): Promise<number> {
  const file = path.join(folder, EVENTS_FILE);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (!exists) return 0;
  const store = new FileSchemaRegistryStore(folder);
  const events = await store.load();
  await store.close();
  const imported = events.length > 0 && registry.isEmpty();
  if (imported) await registry.importEvents(events.map((event) => JSON.stringify(event)).join('\n'));
  await rename(file, `${file}.migrated`);
  return imported ? events.length : 0;
}
