/** Consecutive entries of one term, from startIndex up to the next run. */
export interface TermRun {
  startIndex: number;
  term: number;
}

/**
 * The term of every entry, stored as runs: terms change only on leader elections, so a log of millions of entries
 * has a handful of runs, and termAt (asked on every Raft AppendEntries) needs no disk read.
 */
export class TermIndex {
  /** First index of each run, ascending. */
  private readonly runStartIndexes: number[] = [];
  private readonly runTerms: number[] = [];

  /** Records the term of the next entry; indexes must come in ascending order and terms must not decrease. */
  append(index: number, term: number): void {
    const runCount = this.runTerms.length;
    if (runCount > 0 && this.runTerms[runCount - 1] === term) return;
    this.runStartIndexes.push(index);
    this.runTerms.push(term);
  }

  /** The term of the run covering index; the caller checks that index lies within the log. */
  termAt(index: number): number | undefined {
    let low = 0;
    let high = this.runStartIndexes.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.runStartIndexes[middle] <= index) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found === -1 ? undefined : this.runTerms[found];
  }

  /** The runs covering firstIndex..lastIndex, the first one starting at firstIndex (for a segment's index file). */
  runsBetween(firstIndex: number, lastIndex: number): TermRun[] {
    const runs: TermRun[] = [];
    for (let position = 0; position < this.runStartIndexes.length; position++) {
      const nextStartIndex = this.runStartIndexes[position + 1] ?? Number.POSITIVE_INFINITY;
      if (nextStartIndex <= firstIndex || this.runStartIndexes[position] > lastIndex) continue;
      runs.push({ startIndex: Math.max(firstIndex, this.runStartIndexes[position]), term: this.runTerms[position] });
    }
    return runs;
  }

  /** The term of the newest run, 0 when there is none. */
  get lastTerm(): number {
    return this.runTerms.length === 0 ? 0 : this.runTerms[this.runTerms.length - 1];
  }

  truncateAfter(index: number): void {
    while (this.runStartIndexes.length > 0 && this.runStartIndexes[this.runStartIndexes.length - 1] > index) {
      this.runStartIndexes.pop();
      this.runTerms.pop();
    }
  }

  /** Forgets runs that end before index. */
  deleteBefore(index: number): void {
    let removable = 0;
    while (removable + 1 < this.runStartIndexes.length && this.runStartIndexes[removable + 1] <= index) removable++;
    this.runStartIndexes.splice(0, removable);
    this.runTerms.splice(0, removable);
  }

  clear(): void {
    this.runStartIndexes.length = 0;
    this.runTerms.length = 0;
  }
}
