const SLAB_SIZE_BYTES = 1024 * 1024;

/**
 * Memory that appends encode entries into, so that a flush writes a few large buffers instead of one per entry.
 * Space is handed out strictly forward and never reused: buffers handed to writes and payloads handed to readers
 * stay valid, and a full slab is simply replaced (the garbage collector frees it once nothing points into it).
 */
export class WriteSlab {
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE_BYTES);
  private usedBytes = 0;

  /** The slab that the last reserve() returned an offset into. */
  get buffer(): Buffer {
    return this.slab;
  }

  /** Reserves `bytes` contiguous bytes and returns their offset in `buffer` (which may be a new slab). */
  reserve(bytes: number): number {
    if (this.usedBytes + bytes > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE_BYTES, bytes));
      this.usedBytes = 0;
    }
    const offset = this.usedBytes;
    this.usedBytes += bytes;
    return offset;
  }
}
