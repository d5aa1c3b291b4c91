import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Value } from '../protocol/index.js';
import { StateStore, type Column, type KeyPart } from './index.js';

/**
 * A seeded model test of the state store: random puts, deletes, commits, rollbacks, partial persists (awaited, left
 * running, queued back to back) and restarts, checked after every step against a plain in-memory model. Small key
 * spaces make keys collide and come back after deletion; a tiny cache makes reads go to RocksDB; a bulk-filled job
 * queue holds more entries than a prefix visit loads into memory at once. A failure names its seed and step, and
 * replays from them.
 */

type Key = KeyPart[];
type AnyColumn = Column<Key, Value>;

interface Entry {
  key: Key;
  value: Value;
}
/** Per column name, per key id. */
type Entries = Map<string, Map<string, Entry>>;

interface ColumnSpec {
  name: string;
  keyLength: number;
  firstParts: KeyPart[];
  randomKey(random: Random): Key;
}

/** Job queue type that bulk seeds fill beyond the prefix load bound (PREFIX_LOAD_ENTRIES_MAX = 256). */
const BULK_TYPE = 'q';
const BULK_ENTRIES = 300;
const STEPS_PER_SEED = 600;
const FULL_CHECK_EVERY_STEPS = 60;

/** mulberry32: a tiny deterministic PRNG, so every run replays from its seed. */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

function columnSpecs(bulk: boolean): ColumnSpec[] {
  const jobTypes = bulk ? ['a', 'b', BULK_TYPE] : ['a', 'b', 'c'];
  return [
    { name: 'instances', keyLength: 1, firstParts: [], randomKey: (random) => [BigInt(random.int(12))] },
    {
      name: 'jobs',
      keyLength: 2,
      firstParts: jobTypes,
      randomKey: (random) => {
        const type = random.pick(jobTypes);
        return [type, BigInt(random.int(type === BULK_TYPE ? BULK_ENTRIES + 20 : 8))];
      },
    },
    { name: 'variables', keyLength: 2, firstParts: [0n, 1n, 2n, 3n], randomKey: (random) => [BigInt(random.int(4)), random.pick(['x', 'y', 'z', 'w'])] },
  ];
}

function keyId(key: readonly KeyPart[]): string {
  return key.map((part) => `${typeof part === 'bigint' ? 'n' : 's'}${String(part)}`).join('/');
}

/** Key order of the model (parts of one type per position here): part by part, shorter tuples first. */
function compareModelKeys(a: readonly KeyPart[], b: readonly KeyPart[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    if (a[index] !== b[index]) return a[index] < b[index] ? -1 : 1;
  }
  return a.length - b.length;
}

function cloneEntries(entries: Entries): Entries {
  return new Map([...entries].map(([name, column]) => [name, new Map(column)]));
}

/** The expected state: committed state per committed position, and the open transaction's view on top. */
class Model {
  current: Entries;
  private committed: Entries;
  private readonly snapshots = new Map<number, Entries>();

  constructor(names: string[]) {
    this.committed = new Map(names.map((name) => [name, new Map()]));
    this.current = cloneEntries(this.committed);
    this.snapshots.set(0, this.committed);
  }

  get(name: string, key: Key): Entry | undefined {
    return this.current.get(name)!.get(keyId(key));
  }

  put(name: string, key: Key, value: Value): void {
    this.current.get(name)!.set(keyId(key), { key, value });
  }

  delete(name: string, key: Key): void {
    this.current.get(name)!.delete(keyId(key));
  }

  entries(name: string, include: (key: Key) => boolean): Entry[] {
    return [...this.current.get(name)!.values()].filter((entry) => include(entry.key));
  }

  commit(position: number): void {
    this.committed = cloneEntries(this.current);
    this.snapshots.set(position, this.committed);
  }

  rollback(): void {
    this.current = cloneEntries(this.committed);
  }

  /** Committed positions, ascending. */
  positions(): number[] {
    return [...this.snapshots.keys()];
  }

  /** What a reopened store holds: the state at the persisted position; later transactions are lost. */
  restart(persistedPosition: number): void {
    const persisted = this.snapshots.get(persistedPosition);
    if (persisted === undefined) throw new Error(`The model has no committed state at position ${persistedPosition}`);
    this.snapshots.clear();
    this.snapshots.set(persistedPosition, persisted);
    this.committed = persisted;
    this.current = cloneEntries(persisted);
  }

  forgetBefore(persistedPosition: number): void {
    for (const position of this.snapshots.keys()) if (position < persistedPosition) this.snapshots.delete(position);
  }
}

const directories: string[] = [];
afterEach(() => directories.splice(0).forEach((directory) => rmSync(directory, { recursive: true, force: true })));

interface SeedOptions {
  seed: number;
  cacheEntriesMax: number;
  bulk: boolean;
}

/** One seeded run: the store, the model, and the persists left running. */
class Run {
  readonly random: Random;
  readonly specs: ColumnSpec[];
  readonly model: Model;
  store!: StateStore;
  columns = new Map<string, AnyColumn>();
  private pending: Promise<void>[] = [];
  /** The highest position any persist was asked for: once all have run, the store is persisted up to it. */
  private persistRequested = 0;
  private valueCounter = 0;
  readonly trace: string[] = [];

  constructor(
    readonly options: SeedOptions,
    readonly directory: string,
  ) {
    this.random = new Random(options.seed);
    this.specs = columnSpecs(options.bulk);
    this.model = new Model(this.specs.map((spec) => spec.name));
  }

  async open(): Promise<void> {
    this.store = await StateStore.open({ directory: this.directory, cacheEntriesMax: this.options.cacheEntriesMax });
    this.columns = new Map(this.specs.map((spec) => [spec.name, this.store.column<Key, Value>(spec.name, spec.keyLength)]));
  }

  column(spec: ColumnSpec): AnyColumn {
    return this.columns.get(spec.name)!;
  }

  newValue(spec: ColumnSpec): Value {
    return { n: ++this.valueCounter, column: spec.name };
  }

  note(step: string): void {
    this.trace.push(step);
    if (this.trace.length > 40) this.trace.shift();
  }

  put(spec: ColumnSpec, key: Key): void {
    const value = this.newValue(spec);
    this.note(`put ${spec.name} ${keyId(key)} = ${this.valueCounter}`);
    this.column(spec).put(key, value);
    this.model.put(spec.name, key, value);
  }

  delete(spec: ColumnSpec, key: Key): void {
    this.note(`delete ${spec.name} ${keyId(key)}`);
    this.column(spec).delete(...key);
    this.model.delete(spec.name, key);
  }

  commit(): void {
    const position = this.store.position + 1 + this.random.int(3);
    this.note(`commit ${position}`);
    this.store.commitTransaction(position);
    this.model.commit(position);
  }

  rollback(): void {
    this.note('rollback');
    this.store.rollbackTransaction();
    this.model.rollback();
  }

  /** Starts a persist up to a random position of the window not yet persisted. */
  startPersist(): Promise<void> {
    const from = this.store.persistedPosition;
    const upTo = from + this.random.int(this.store.position - from + 1);
    this.note(`persist ${upTo}`);
    this.persistRequested = Math.max(this.persistRequested, upTo);
    const persist = this.store.persist(upTo);
    // Awaited in awaitPersists; the handler only keeps a failure from being reported as unhandled before then.
    persist.catch(() => undefined);
    this.pending.push(persist);
    return persist;
  }

  async awaitPersists(): Promise<void> {
    this.note('await persists');
    await Promise.all(this.pending.splice(0));
    const expected = this.model.positions().filter((position) => position <= this.persistRequested).at(-1);
    expect(this.store.persistedPosition, 'persisted position').toBe(expected);
    expect(this.store.pendingTransactionCount, 'pending transactions').toBe(this.model.positions().filter((position) => position > expected!).length);
    this.model.forgetBefore(this.store.persistedPosition);
  }

  /** Closes and reopens the store: the open transaction and everything committed after the persisted position are lost. */
  async reopen(): Promise<void> {
    await this.awaitPersists();
    this.note('reopen');
    await this.store.close();
    await this.open();
    this.persistRequested = this.store.persistedPosition;
    this.model.restart(this.store.persistedPosition);
  }
}

function checkKey(run: Run, spec: ColumnSpec, key: Key): void {
  const expected = run.model.get(spec.name, key);
  const column = run.column(spec);
  expect(column.has(...key), `has ${spec.name} ${keyId(key)}`).toBe(expected !== undefined);
  expect(column.get(...key), `get ${spec.name} ${keyId(key)}`).toEqual(expected?.value);
}

function sortedById(entries: Entry[]): Array<[string, Value]> {
  return entries.map((entry): [string, Value] => [keyId(entry.key), entry.value]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every live entry exactly once, with its newest value; the order of a visit is not part of the contract checked here. */
function expectSameEntries(visited: Entry[], expected: Entry[], what: string): void {
  const ids = visited.map((entry) => keyId(entry.key));
  expect(new Set(ids).size, `${what}: an entry visited twice`).toBe(ids.length);
  expect(sortedById(visited), what).toEqual(sortedById(expected));
}

function checkPrefix(run: Run, spec: ColumnSpec, prefix: Key): void {
  const visited: Entry[] = [];
  run.column(spec).forEachWithPrefix(prefix, (value, key) => {
    visited.push({ key, value });
  });
  const expected = run.model.entries(spec.name, (key) => prefix.every((part, index) => key[index] === part));
  expectSameEntries(visited, expected, `visit ${spec.name} prefix [${keyId(prefix)}]`);
  expect(run.column(spec).countWithPrefix(prefix), `count ${spec.name} prefix [${keyId(prefix)}]`).toBe(expected.length);
}

function checkRange(run: Run, spec: ColumnSpec): void {
  const bounds = [spec.randomKey(run.random), spec.randomKey(run.random)]
    .map((key) => (run.random.chance(0.3) ? key.slice(0, 1) : key))
    .sort(compareModelKeys);
  const [from, to] = bounds;
  const visited: Entry[] = [];
  run.column(spec).forEachInRange(from, to, (value, key) => {
    visited.push({ key, value });
  });
  const expected = run.model.entries(spec.name, (key) => compareModelKeys(key, from) >= 0 && compareModelKeys(key, to) < 0);
  expectSameEntries(visited, expected, `range ${spec.name} [${keyId(from)}, ${keyId(to)})`);
}

function randomPrefix(run: Run, spec: ColumnSpec): Key {
  return spec.firstParts.length === 0 || run.random.chance(0.25) ? [] : [run.random.pick(spec.firstParts)];
}

/** A few cheap checks after every step, on one random column. */
function checkSome(run: Run): void {
  const spec = run.random.pick(run.specs);
  for (let index = 0; index < 3; index++) checkKey(run, spec, spec.randomKey(run.random));
  checkPrefix(run, spec, randomPrefix(run, spec));
  if (run.random.chance(0.3)) checkRange(run, spec);
}

/** Every key of every column's key space, and every prefix. */
function checkAll(run: Run): void {
  for (const spec of run.specs) {
    checkPrefix(run, spec, []);
    for (const part of spec.firstParts) checkPrefix(run, spec, [part]);
    for (const { key } of run.model.entries(spec.name, () => true)) checkKey(run, spec, key);
    for (let index = 0; index < 20; index++) checkKey(run, spec, spec.randomKey(run.random));
  }
}

/**
 * Takes up to `limit` entries from the head of a job queue and deletes the first, as job activation does: a visit
 * that stops early, over a prefix consumed from its low end.
 */
function consume(run: Run): void {
  const spec = run.specs[1];
  const type = run.random.pick(spec.firstParts);
  const limit = 1 + run.random.int(5);
  const visited: Entry[] = [];
  run.column(spec).forEachWithPrefix([type], (value, key) => {
    visited.push({ key, value });
    return visited.length < limit;
  });
  const expected = run.model.entries(spec.name, (key) => key[0] === type);
  expect(visited.length, `consume ${String(type)}: entries visited`).toBe(Math.min(limit, expected.length));
  for (const entry of visited) expect(entry.value, `consume ${keyId(entry.key)}`).toEqual(run.model.get(spec.name, entry.key)?.value);
  expect(new Set(visited.map((entry) => keyId(entry.key))).size, `consume ${String(type)}: an entry visited twice`).toBe(visited.length);
  if (visited.length > 0) run.delete(spec, visited[0].key);
}

/** Fills the bulk queue beyond the prefix load bound and persists it. */
async function fillBulkQueue(run: Run): Promise<void> {
  const spec = run.specs[1];
  for (let index = 0; index < BULK_ENTRIES; index++) run.put(spec, [BULK_TYPE, BigInt(index)]);
  run.commit();
  await run.startPersist();
  await run.awaitPersists();
}

async function step(run: Run): Promise<void> {
  const roll = run.random.next();
  const spec = run.random.pick(run.specs);
  if (roll < 0.3) run.put(spec, spec.randomKey(run.random));
  else if (roll < 0.48) run.delete(spec, spec.randomKey(run.random));
  else if (roll < 0.54) consume(run);
  else if (roll < 0.7) run.commit();
  else if (roll < 0.74) run.rollback();
  else if (roll < 0.8) await run.startPersist();
  else if (roll < 0.85) void run.startPersist();
  else if (roll < 0.88) {
    void run.startPersist();
    void run.startPersist();
  } else if (roll < 0.94) await new Promise((resolve) => setImmediate(resolve));
  else if (roll < 0.96) await run.awaitPersists();
  else if (roll < 0.975) await run.reopen();
  else if (roll < 0.98 && run.options.bulk) await fillBulkQueue(run);
}

async function runSeed(options: SeedOptions): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'state-model-'));
  directories.push(directory);
  const run = new Run(options, directory);
  await run.open();
  let stepIndex = -1;
  try {
    if (options.bulk) await fillBulkQueue(run);
    for (stepIndex = 0; stepIndex < STEPS_PER_SEED; stepIndex++) {
      await step(run);
      checkSome(run);
      if (stepIndex % FULL_CHECK_EVERY_STEPS === 0) checkAll(run);
    }
    await run.reopen();
    checkAll(run);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`Seed ${options.seed} (${JSON.stringify(options)}) failed at step ${stepIndex}; last steps:\n  ${run.trace.join('\n  ')}\n${message}`, {
      cause: error,
    });
  } finally {
    await run.store.close();
  }
}

const SEEDS: SeedOptions[] = Array.from({ length: 28 }, (_, index) => ({
  seed: 1000 + index,
  cacheEntriesMax: [8, 3, 1000, 32, 128][index % 5],
  bulk: index % 4 === 0,
}));

describe('state store against an in-memory model', () => {
  it.each(SEEDS)(
    'given seed $seed (cache $cacheEntriesMax, bulk $bulk), then every step reads like the model',
    async (options) => {
      await runSeed(options);
    },
  );
});

/** The smallest sequences the model test reduced its first failures to (bugs it found, fixed since). */
describe('state store: sequences the model test once failed on', () => {
  it('given a prefix visited inside a transaction that is rolled back, then a persisted entry of the prefix stays readable', async () => {
    // given an entry persisted and then evicted from memory
    const store = await openTemporaryStore(1);
    const jobs = store.column<[string, bigint], { n: number }>('jobs', 2);
    jobs.put(['a', 1n], { n: 1 });
    store.commitTransaction(1);
    await store.persist(1);
    jobs.put(['b', 1n], { n: 2 });
    jobs.put(['b', 2n], { n: 3 });
    store.commitTransaction(2);
    await store.persist(2);

    // when a transaction overwrites it, visits its prefix (which loads the prefix and marks it complete in memory)
    // and rolls back, which removes the overwritten slot
    jobs.put(['a', 1n], { n: 4 });
    expect(jobs.countWithPrefix(['a'])).toBe(1);
    store.rollbackTransaction();

    // then the persisted value is still there
    expect(jobs.get('a', 1n)).toEqual({ n: 1 });
    await store.close();
  });

  it('given a persisted delete settling after the key was put and deleted again, then the key stays deleted', async () => {
    // given a persisted entry in a reopened store (so the column is not complete in memory)
    const first = await openTemporaryStore(1000);
    first.column<[bigint], { n: number }>('items', 1).put([1n], { n: 1 });
    first.commitTransaction(1);
    await first.persist(1);
    await first.close();
    const store = await StateStore.open({ directory: first.directory });
    const items = store.column<[bigint], { n: number }>('items', 1);

    // when it is deleted (2), put again (3), both persisted in separate windows, and deleted again (4) before the
    // first window settles: settling the delete of 2 takes the deletion mark of 4 for its own and drops it
    items.delete(1n);
    store.commitTransaction(2);
    items.put([1n], { n: 2 });
    store.commitTransaction(3);
    const persists = [store.persist(2), store.persist(3)];
    items.delete(1n);
    store.commitTransaction(4);
    await Promise.all(persists);

    // then it is deleted
    expect(items.get(1n)).toBeUndefined();
    await store.close();
  });

  it('given a key read as absent, then put, persisted and evicted from memory, then it reads back from RocksDB', async () => {
    // given a column that is not complete in memory (an entry was evicted)
    const store = await openTemporaryStore(8);
    const items = store.column<[bigint], { n: number }>('items', 1);
    putMany(items, 100n, 20);
    store.commitTransaction(1);
    await store.persist(1);

    // when a key is read as absent (the cache marks it so), then put and persisted, then evicted from memory
    expect(items.get(1n)).toBeUndefined();
    items.put([1n], { n: 1 });
    store.commitTransaction(2);
    await store.persist(2);
    putMany(items, 200n, 20);
    store.commitTransaction(3);
    await store.persist(3);

    // then the read goes past the stale absent mark to RocksDB
    expect(items.get(1n)).toEqual({ n: 1 });
    await store.close();
  });
});

async function openTemporaryStore(cacheEntriesMax: number): Promise<StateStore> {
  const directory = mkdtempSync(join(tmpdir(), 'state-model-'));
  directories.push(directory);
  return StateStore.open({ directory, cacheEntriesMax });
}

function putMany(column: Column<[bigint], { n: number }>, firstKey: bigint, count: number): void {
  for (let n = 0; n < count; n++) column.put([firstKey + BigInt(n)], { n });
}
