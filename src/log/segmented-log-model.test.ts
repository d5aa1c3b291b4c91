import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentedLog, type LogEntry } from './index.js';

/**
 * Random sequences of appends, flushes, truncations, compactions and reopens, with file operations left in flight
 * while the next calls come, checked against a plain array after every step. Every failure replays from its seed.
 */

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'tributary-log-model-'));
  warnings = [];
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** mulberry32: a tiny seeded generator, so that a failing sequence replays exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

class ModelLog {
  firstIndex = 1;
  entries: LogEntry[] = [];

  get lastIndex(): number {
    return this.firstIndex + this.entries.length - 1;
  }

  get lastTerm(): number {
    return this.entries.length === 0 ? 0 : this.entries[this.entries.length - 1].term;
  }

  entryAt(index: number): LogEntry | undefined {
    return this.entries[index - this.firstIndex];
  }
}

const STEP_COUNT = 400;
/** Warnings of every log opened: a log that was closed cleanly must reopen without one. */
let warnings: string[] = [];
const OPTIONS = { segmentSizeBytesMax: 400, entrySizeBytesMax: 120, onWarning: (message: string) => warnings.push(message) };

/** After a close, every segment but the last has an index file, and there is no other file. */
async function expectIndexFilesOfSealedSegments(where: string): Promise<void> {
  const names = await readdir(directory);
  const segments = names.filter((name) => name.endsWith('.log')).sort();
  const indexes = names.filter((name) => name.endsWith('.idx')).sort();
  expect(indexes, where).toEqual(segments.slice(0, -1).map((name) => name.replace(/\.log$/, '.idx')));
  expect(names.length, where).toBe(segments.length + indexes.length);
}

async function runSequence(seed: number): Promise<void> {
  const random = seededRandom(seed);
  const model = new ModelLog();
  let log = await SegmentedLog.open({ directory, ...OPTIONS });
  const unsettled: Promise<unknown>[] = [];
  for (let step = 0; step < STEP_COUNT; step++) {
    const choice = random();
    const where = `seed ${seed}, step ${step}`;
    if (choice < 0.5) {
      const term = model.lastTerm + (random() < 0.05 ? 1 : 0);
      const payload = Buffer.from(`${seed}:${step}:`.padEnd(Math.floor(random() * 100), '.'));
      expect(log.append(term, payload), where).toBe(model.lastIndex + 1);
      model.entries.push({ index: model.lastIndex + 1, term, payload });
    } else if (choice < 0.6) {
      unsettled.push(log.flush());
    } else if (choice < 0.65) {
      const index = model.firstIndex - 1 + Math.floor(random() * (model.entries.length + 1));
      unsettled.push(log.truncateAfter(index));
      model.entries.length = index - model.firstIndex + 1;
    } else if (choice < 0.68) {
      unsettled.push(log.deleteBefore(model.firstIndex + Math.floor(random() * (model.entries.length + 2))));
      expect(log.firstIndex, where).toBeGreaterThanOrEqual(model.firstIndex);
      model.entries.splice(0, log.firstIndex - model.firstIndex);
      model.firstIndex = log.firstIndex;
    } else if (choice < 0.8) {
      const index = model.firstIndex - 1 + Math.floor(random() * (model.entries.length + 2));
      expect(log.read(index), `${where}: read ${index}`).toEqual(model.entryAt(index));
      expect(log.termAt(index), where).toBe(model.entryAt(index)?.term);
    } else if (choice < 0.83) {
      const reader = log.reader(model.firstIndex);
      for (const entry of model.entries) expect(reader.next(), where).toEqual(entry);
      expect(reader.next(), where).toBeUndefined();
    } else if (choice < 0.98) {
      await new Promise((resolve) => setImmediate(resolve));
    } else {
      await log.close();
      await Promise.all(unsettled.splice(0));
      await expectIndexFilesOfSealedSegments(where);
      log = await SegmentedLog.open({ directory, ...OPTIONS });
      // Sealed segments now come from their index files: every entry and term must still be the model's.
      for (const entry of model.entries) expect([log.read(entry.index), log.termAt(entry.index)], where).toEqual([entry, entry.term]);
    }
    expect([log.firstIndex, log.lastIndex, log.lastTerm], where).toEqual([model.firstIndex, model.lastIndex, model.lastTerm]);
    expect(log.durableIndex, where).toBeLessThanOrEqual(log.lastIndex);
  }
  await log.flush();
  expect(log.durableIndex).toBe(model.lastIndex);
  await log.close();
  await Promise.all(unsettled);
  await expectIndexFilesOfSealedSegments('at the end');
  const reopened = await SegmentedLog.open({ directory, ...OPTIONS });
  expect([reopened.firstIndex, reopened.lastIndex]).toEqual([model.firstIndex, model.lastIndex]);
  for (const entry of model.entries) expect(reopened.read(entry.index)).toEqual(entry);
  await reopened.close();
  expect(warnings).toEqual([]);
}

describe('SegmentedLog against a model', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`matches the model for seed ${seed}`, async () => {
      await runSequence(seed);
    });
  }
});
