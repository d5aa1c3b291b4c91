import path from 'node:path';

/**
 * The log found damage it must not repair on its own, because the damaged bytes may hold entries that were already
 * acknowledged. An operator has to decide (restore the partition from a replica or a backup).
 */
export class LogCorruptedError extends Error {
  /** The damaged segment file (full path). */
  readonly file: string;
  /** Byte offset of the damage within the file. */
  readonly offset: number;
  /** Index of the entry that was expected at that offset. */
  readonly index: number;

  constructor(file: string, offset: number, index: number, problem: string) {
    super(`Log segment ${path.basename(file)} in ${path.dirname(file)} is corrupted at byte ${offset} (entry ${index}): ${problem}`);
    this.name = 'LogCorruptedError';
    this.file = file;
    this.offset = offset;
    this.index = index;
  }
}
