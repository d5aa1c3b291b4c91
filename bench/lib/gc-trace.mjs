// Reads the pauses of V8's garbage collector from a broker's `node --trace-gc` output, per thread: the benchmark's
// explanation of tail latency (a stop-the-world pause on the gateway's or a partition's thread delays every request
// it holds). Each line names its isolate; the first isolate in the log is the main thread (gateway), the others are
// the partition threads in the order they started.
/* global Buffer -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const PAUSE_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: (Scavenge|Mark-Compact|Mark-Compact \(reduce\)|Minor Mark-Sweep|Mark-Sweep)\b.*?MB, ([\d.]+) \/ [\d.]+ ms/;

/** Where the log ends now: pass it to gcPauses as `from` to read only what comes after. */
export function logOffset(logFile) {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

/** Every isolate address in the log's order of first appearance (main thread first). */
function threadNames(text) {
  const names = new Map();
  for (const match of text.matchAll(/^\[\d+:(0x[0-9a-f]+)\]/gm)) {
    if (!names.has(match[1])) names.set(match[1], names.size === 0 ? 'main (gateway)' : `partition thread ${names.size}`);
  }
  return names;
}

function readFrom(logFile, from) {
  const size = logOffset(logFile);
  if (size <= from) return '';
  const buffer = Buffer.alloc(size - from);
  const fd = openSync(logFile, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, from);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

/**
 * The pauses logged after byte offset `from` over `seconds` of run time: per thread, young-generation (scavenge)
 * and full (mark-compact) collections with their count, total and longest pause, and the pause time per second.
 */
export function gcPauses(logFile, from, seconds) {
  const names = threadNames(readFrom(logFile, 0));
  const threads = new Map();
  for (const line of readFrom(logFile, from).split('\n')) {
    const match = PAUSE_LINE.exec(line);
    if (!match) continue;
    const name = names.get(match[1]) ?? match[1];
    const thread = threads.get(name) ?? { thread: name, young: pauseStats(), full: pauseStats() };
    threads.set(name, thread);
    const pauseMs = Number(match[3]);
    const stats = match[2] === 'Scavenge' || match[2] === 'Minor Mark-Sweep' ? thread.young : thread.full;
    stats.count++;
    stats.totalMs += pauseMs;
    stats.maxMs = Math.max(stats.maxMs, pauseMs);
  }
  return [...threads.values()]
    .sort((a, b) => a.thread.localeCompare(b.thread))
    .map((thread) => ({ ...thread, pauseMsPerS: (thread.young.totalMs + thread.full.totalMs) / seconds }));
}

function pauseStats() {
  return { count: 0, totalMs: 0, maxMs: 0 };
}
