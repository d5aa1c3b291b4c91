/** A binary min-heap of events by time, then by insertion order, so that equal times stay deterministic. */
export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly sequences: number[] = [];
  private readonly items: T[] = [];
  private nextSequence = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number | undefined {
    return this.times[0];
  }

  push(time: number, item: T): void {
    this.times.push(time);
    this.sequences.push(this.nextSequence++);
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  pop(): { time: number; item: T } | undefined {
    if (this.items.length === 0) return undefined;
    const time = this.times[0];
    const item = this.items[0];
    const last = this.items.length - 1;
    this.move(last, 0);
    this.times.pop();
    this.sequences.pop();
    this.items.pop();
    if (this.items.length > 0) this.siftDown(0);
    return { time, item };
  }

  private before(left: number, right: number): boolean {
    return this.times[left] < this.times[right] || (this.times[left] === this.times[right] && this.sequences[left] < this.sequences[right]);
  }

  private siftUp(position: number): void {
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!this.before(position, parent)) return;
      this.swap(position, parent);
      position = parent;
    }
  }

  private siftDown(position: number): void {
    const count = this.items.length;
    while (true) {
      const left = 2 * position + 1;
      const right = left + 1;
      let smallest = position;
      if (left < count && this.before(left, smallest)) smallest = left;
      if (right < count && this.before(right, smallest)) smallest = right;
      if (smallest === position) return;
      this.swap(position, smallest);
      position = smallest;
    }
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.sequences[to] = this.sequences[from];
    this.items[to] = this.items[from];
  }

  private swap(left: number, right: number): void {
    const time = this.times[left];
    const sequence = this.sequences[left];
    const item = this.items[left];
    this.move(right, left);
    this.times[right] = time;
    this.sequences[right] = sequence;
    this.items[right] = item;
  }
}
