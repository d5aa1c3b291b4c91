// What the figures were measured on. The disk's fdatasync latency is measured, not looked up, because it bounds
// every durable figure (group commit or not) and virtual disks hide what they are.
/* global Buffer, process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';

function commandOutput(command, args) {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

function firstLine(text) {
  return text.split('\n')[0];
}

/** The median and 99th percentile of fdatasync after a 4 KiB write, in microseconds, in directory. */
function fdatasyncLatency(directory, count = 300) {
  const fd = openSync(join(directory, 'fdatasync-probe'), 'w');
  const block = Buffer.alloc(4096, 1);
  const microseconds = [];
  try {
    for (let i = 0; i < count; i++) {
      writeSync(fd, block);
      const started = process.hrtime.bigint();
      fdatasyncSync(fd);
      microseconds.push(Number(process.hrtime.bigint() - started) / 1000);
    }
  } finally {
    closeSync(fd);
  }
  microseconds.sort((a, b) => a - b);
  return { p50: Math.round(microseconds[Math.floor(count / 2)]), p99: Math.round(microseconds[Math.floor(count * 0.99)]) };
}

export function machineFacts(scratchDirectory) {
  const mountSource = commandOutput('findmnt', ['-n', '-o', 'SOURCE', '--target', scratchDirectory]);
  const disk = commandOutput('lsblk', ['-d', '-n', '-o', 'SIZE,MODEL', mountSource]).replace(/\s+/g, ' ').trim();
  const filesystem = commandOutput('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', '--target', scratchDirectory]);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    logicalCores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    disk: `${mountSource} ${disk}, ${firstLine(filesystem).replace(/\s+/g, ' ')}`,
    fdatasyncMicroseconds: fdatasyncLatency(scratchDirectory),
    node: process.version,
    go: commandOutput('go', ['version']),
    // java -version prints to stderr.
    java: firstLine(commandOutput('sh', ['-c', 'java -version 2>&1'])),
  };
}
