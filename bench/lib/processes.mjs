// Everything the benchmark starts goes through here, so that it can all be stopped at the end, on Ctrl-C and on
// failure: child processes (each in a process group of its own, so a JVM's or mvn's children go too), temporary
// directories, and the readings of CPU time and memory that RESULTS.md reports per process.
/* global clearTimeout, console, process, setTimeout -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const temporaryDirectories = new Set();
const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** Kills every child still running and deletes the temporary directories; safe to call more than once. */
export function cleanUp() {
  for (const child of children) killGroup(child, 'SIGKILL');
  children.clear();
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
  temporaryDirectories.clear();
}

// 'exit' handlers must be synchronous, and cleanUp is; the signal handlers make Ctrl-C go through 'exit' too.
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping everything it started`);
    process.exit(130);
  });
}

export function temporaryDirectory(name) {
  const directory = mkdtempSync(join(tmpdir(), `tributary-bench-${name}-`));
  temporaryDirectories.add(directory);
  return directory;
}

export function removeDirectory(directory) {
  rmSync(directory, { recursive: true, force: true });
  temporaryDirectories.delete(directory);
}

/** A port that was free on 127.0.0.1 a moment ago (the kernel picks it, so parallel runs do not collide). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a long-running process with its output going to logFile. The returned child has `exited`, a promise of its
 * exit code, and is killed by cleanUp if it is still running then.
 */
export function startProcess(command, args, { logFile, cwd, env } = {}) {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  children.add(child);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  child.exited.then(() => children.delete(child));
  child.logFile = logFile;
  return child;
}

/** Stops a process politely (SIGTERM), then by force after timeoutMs; resolves with its exit code or signal. */
export async function stopProcess(child, timeoutMs = 30_000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return code;
}

export function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs a command to completion and returns its output and the CPU seconds it used. The CPU time comes from this
 * process's cutime and cstime, which grow by exactly the CPU time of each child it has reaped: as the benchmark runs
 * one such command at a time, the difference is that command's (and its own children's) CPU time.
 */
export async function runToCompletion(command, args, { cwd, env, timeoutMs = 30 * 60_000 } = {}) {
  const childrenCpuBefore = childrenCpuSeconds();
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
  const code = await new Promise((resolve) => child.once('close', (exitCode, signal) => resolve(exitCode ?? signal)));
  clearTimeout(timer);
  children.delete(child);
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr.slice(-4000)}${stdout.slice(-2000)}`);
  }
  return { stdout, stderr, cpuSeconds: childrenCpuSeconds() - childrenCpuBefore };
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces), so index 0 is field 3, the state. */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User plus system CPU seconds a running process has used so far (fields 14 and 15 of /proc/PID/stat). */
export function cpuSeconds(pid) {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

function childrenCpuSeconds() {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_S;
}

/** Resident and peak resident memory of a running process, in MiB, from /proc/PID/status. */
export function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kibibytes = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kibibytes('VmRSS') / 1024, peakRssMiB: kibibytes('VmHWM') / 1024 };
}

/**
 * CPU seconds every process on the machine has used since boot (/proc/stat), so that a run can tell how much of the
 * machine something else took: on a shared machine, that is what makes two runs' figures differ.
 */
export function machineCpuSeconds() {
  const [, ...jiffies] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = jiffies;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_S;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
