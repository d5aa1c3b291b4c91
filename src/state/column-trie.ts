import type { Value } from '../protocol/index.js';
import type { KeyPart } from './types.js';

/**
 * The in-memory tier of one column (StateColumn's overlay): a trie of Maps, one level per key part, so a prefix visit
 * walks only the entries under that prefix, in Map insertion order. Each branch counts the entries below it, which
 * makes countWithPrefix O(prefix length). It holds unpersisted writes (a deletion is a mark value StateColumn puts
 * here) and clean entries kept from RocksDB; the trie itself knows neither, it stores values.
 *
 * Rollback restores slots newest write first: a slot that did not exist before the transaction is removed, which
 * restores the Map's insertion order (a key's other writes keep their place).
 */

/** What a slot held before a write: a value, or undefined when the key was not in the Map at all. */
export type PreviousSlot = Value | undefined;

interface Branch {
  /** Entries below this branch. */
  count: number;
  /** Branches below the last level; values at the last level. */
  children: Map<KeyPart, unknown>;
}

export class ColumnTrie {
  private readonly root: Branch = { count: 0, children: new Map() };
  /** Branches from the root to the last walked leaf branch; reused so that a walk allocates nothing. */
  private readonly path: Branch[];

  constructor(readonly keyLength: number) {
    this.path = new Array<Branch>(keyLength);
  }

  get size(): number {
    return this.root.count;
  }

  get(key: readonly KeyPart[]): Value | undefined {
    let branch: Branch | undefined = this.root;
    const last = this.keyLength - 1;
    for (let depth = 0; depth < last && branch !== undefined; depth++) branch = branch.children.get(key[depth]) as Branch | undefined;
    if (branch === undefined) return undefined;
    return branch.children.get(key[last]) as Value | undefined;
  }

  /** Stores a value and returns what the slot held before. */
  set(key: readonly KeyPart[], value: Value): PreviousSlot {
    const leaf = this.walk(key, true) as Branch;
    const part = key[this.keyLength - 1];
    const previous = leaf.children.get(part) as PreviousSlot;
    leaf.children.set(part, value);
    if (previous === undefined) this.adjustCounts(1);
    return previous;
  }

  /**
   * Puts a slot back as it was before a write (rollback), or removes it (previous undefined; also how a persisted
   * deletion or an evicted entry leaves memory). Writes are undone newest first, so the walk always finds the slot.
   */
  restore(key: readonly KeyPart[], previous: PreviousSlot): void {
    const leaf = this.walk(key, false) as Branch;
    const part = key[this.keyLength - 1];
    const wasPresent = leaf.children.has(part);
    if (previous === undefined) {
      // The key was new in this transaction, so it is the newest entry of its Map: deleting it restores the order.
      leaf.children.delete(part);
      this.pruneEmptyBranches(key);
      if (wasPresent) this.adjustCounts(-1);
    } else {
      leaf.children.set(part, previous);
      if (!wasPresent) this.adjustCounts(1);
    }
  }

  countWithPrefix(prefix: readonly KeyPart[]): number {
    if (prefix.length === this.keyLength) return this.get(prefix) === undefined ? 0 : 1;
    return this.branchAt(prefix)?.count ?? 0;
  }

  /** Visits the entries under the prefix in insertion order; returns false if the visitor stopped the visit. */
  forEachWithPrefix(prefix: readonly KeyPart[], visitor: (value: Value, key: KeyPart[]) => boolean | void): void {
    if (prefix.length === this.keyLength) {
      const value = this.get(prefix);
      if (value !== undefined) visitor(value, prefix.slice());
      return;
    }
    const branch = this.branchAt(prefix);
    if (branch === undefined || branch.count === 0) return;
    const key = prefix.slice();
    this.visit(branch, prefix.length, key, visitor);
  }

  private visit(branch: Branch, depth: number, key: KeyPart[], visitor: (value: Value, key: KeyPart[]) => boolean | void): boolean {
    const isLeaf = depth === this.keyLength - 1;
    for (const [part, child] of branch.children) {
      key[depth] = part;
      if (isLeaf) {
        // A copy per entry: the visitor may keep the key, and `key` is reused for the next entry.
        if (visitor(child as Value, key.slice(0, this.keyLength)) === false) return false;
      } else if ((child as Branch).count > 0) {
        if (!this.visit(child as Branch, depth + 1, key, visitor)) return false;
      }
    }
    return true;
  }

  private branchAt(prefix: readonly KeyPart[]): Branch | undefined {
    let branch: Branch | undefined = this.root;
    for (let depth = 0; depth < prefix.length && branch !== undefined; depth++) branch = branch.children.get(prefix[depth]) as Branch | undefined;
    return branch;
  }

  /** Walks to the branch holding the key's last part, filling `path`; creates missing branches when asked. */
  private walk(key: readonly KeyPart[], create: boolean): Branch | undefined {
    let branch = this.root;
    this.path[0] = branch;
    for (let depth = 0; depth < this.keyLength - 1; depth++) {
      let child = branch.children.get(key[depth]) as Branch | undefined;
      if (child === undefined) {
        if (!create) return undefined;
        child = { count: 0, children: new Map() };
        branch.children.set(key[depth], child);
      }
      branch = child;
      this.path[depth + 1] = branch;
    }
    return branch;
  }

  /** Adds to the count of every branch on the last walked path. */
  private adjustCounts(delta: number): void {
    for (let depth = 0; depth < this.keyLength; depth++) this.path[depth].count += delta;
  }

  /** Removes branches left without children on the last walked path, so empty prefixes cost no memory. */
  private pruneEmptyBranches(key: readonly KeyPart[]): void {
    for (let depth = this.keyLength - 1; depth > 0; depth--) {
      if (this.path[depth].children.size > 0) return;
      this.path[depth - 1].children.delete(key[depth - 1]);
    }
  }
}
