// The scenarios of issue 3. Each returns plain data for results.json; bench/lib/report.mjs turns it into RESULTS.md.
/* global process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { benchDirectory } from './paths.mjs';
import { memoryMiB, removeDirectory, runToCompletion, sleep, temporaryDirectory } from './processes.mjs';
import { figure, spread } from './stats.mjs';
import { brokerNodePath, deploy, loadRun, loadgen, PROCESS_FILE, snapshotDistDirectory, startBroker, stopBroker, unsustainedReason, WAITING_PROCESS_FILE } from './tributary.mjs';
import { createTopic, producerPerformance, startKafka, stopKafka } from './kafka.mjs';
import { summarizeProfile } from '../profile-summary.mjs';
import { gcPauses, logOffset } from './gc-trace.mjs';
import { say } from './say.mjs';

/** In-flight bound of the closed-loop runs that estimate capacity: enough to fill batches, few enough to keep p99
 *  well under 1 s at ~2,000/s (Little's law: 128 / 2,000 per s = 64 ms). */
const CLOSED_LOOP_INFLIGHT = 128;

function runOptions(settings) {
  return { warmupS: settings.warmupS, windowS: settings.windowS };
}

function logRun(label, run) {
  const errors = Object.keys(run.errors).length > 0 ? ` errors ${JSON.stringify(run.errors)}` : '';
  say(`  ${label}: ${Math.round(run.completedPerS)} completed/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms, broker ${run.brokerCpuCores.toFixed(2)} cores, other ${run.otherCpuCores.toFixed(2)} cores${errors}`);
}

/**
 * Throughput on a running broker: closed-loop runs estimate capacity; open-loop runs then step from it, up while
 * sustained or down until sustained, to the highest rate that keeps p99 under 1 s (and refuses at most 0.1 %), then
 * try halfway to the failed step above; that rate is run `repeats` times (half a step lower while most repeats are not
 * sustained).
 */
export async function measureThroughput(broker, settings) {
  const capacityRuns = [];
  for (let i = 0; i < settings.repeats; i++) {
    capacityRuns.push(await loadRun(broker, { rate: 0, inflight: CLOSED_LOOP_INFLIGHT, ...runOptions(settings) }));
    logRun(`closed loop ${i + 1}, ${CLOSED_LOOP_INFLIGHT} in flight`, capacityRuns.at(-1));
  }
  const capacity = figure(capacityRuns, 'completedPerS');
  const result = { partitions: broker.partitions, closedLoopInflight: CLOSED_LOOP_INFLIGHT, capacityRuns, capacityPerS: capacity, search: [] };
  // Errors in a closed loop are not overload (the loop waits for answers): searching would only repeat them.
  const failing = capacityRuns.find((run) => Object.values(run.errors).some((count) => count > run.started * 0.001));
  if (failing) return { ...result, failure: `the closed-loop runs failed: ${JSON.stringify(failing.errors)} of ${failing.started} instances` };

  const sustainedRate = await searchSustainedRate(broker, settings, capacity.median, result.search);
  if (sustainedRate === undefined) {
    const lowest = 100 * (1 - (settings.searchStepsMax - 1) * settings.searchStepFraction);
    return { ...result, failure: `no rate down to ${Math.round(lowest)} % of the closed-loop capacity was sustained` };
  }
  // One sustained search run can be luck at the edge of capacity: a rate most of whose repeats are not sustained is
  // not the maximum (the overload scenario and the latency scenario's half load are taken from it), so the repeats
  // move down half a step at a time, at most REPEAT_STEP_DOWNS_MAX times.
  result.steppedDown = [];
  let rate = sustainedRate;
  for (;;) {
    const runs = [];
    for (let i = 0; i < settings.repeats; i++) {
      const run = await loadRun(broker, { rate, ...runOptions(settings) });
      run.unsustainedReason = unsustainedReason(run);
      runs.push(run);
      logRun(`${rate}/s, repeat ${i + 1}`, run);
    }
    const failedRepeats = runs.filter((run) => run.unsustainedReason !== undefined).length;
    if (failedRepeats * 2 <= runs.length || result.steppedDown.length >= REPEAT_STEP_DOWNS_MAX) {
      return { ...result, sustainedRatePerS: rate, runs, ...figures(runs) };
    }
    result.steppedDown.push({ rate, failedRepeats, repeats: runs.length });
    rate = roundRate(rate - (capacity.median * settings.searchStepFraction) / 2);
    say(`  ${failedRepeats} of ${runs.length} repeats not sustained: trying ${rate}/s`);
  }
}

/** How often the repeats of the maximum may move down half a search step when most of them are not sustained. */
const REPEAT_STEP_DOWNS_MAX = 2;

async function searchSustainedRate(broker, settings, capacityPerS, search) {
  let sustainedRate;
  let unsustainedRate;
  let direction = 0;
  const tryRate = async (rate) => {
    const run = await loadRun(broker, { rate, ...runOptions(settings) });
    const reason = unsustainedReason(run);
    search.push({ rate, sustained: reason === undefined, reason, p99Ms: run.p99Ms, completedPerS: run.completedPerS });
    logRun(`search ${rate}/s ${reason === undefined ? 'sustained' : `not sustained (${reason})`}`, run);
    return reason === undefined;
  };
  // Steps of settings.searchStepFraction of the capacity, settings.searchStepsMax of them at most.
  for (let step = 0; step < settings.searchStepsMax; step++) {
    const rate = roundRate(capacityPerS * (1 + direction * step * settings.searchStepFraction));
    const sustained = await tryRate(rate);
    if (step === 0) direction = sustained ? 1 : -1;
    if (sustained) sustainedRate = rate;
    else unsustainedRate = rate;
    // Going up, the last sustained rate stands at the first failure; going down, the first sustained rate is it.
    if ((direction === 1 && !sustained) || (direction === -1 && sustained)) break;
  }
  // One more run halfway between the sustained rate and the failed one above it: a step is a tenth of the
  // capacity, too coarse to tell a rate just under a target from one well under it.
  if (sustainedRate !== undefined && unsustainedRate !== undefined && unsustainedRate > sustainedRate) {
    const halfway = roundRate((sustainedRate + unsustainedRate) / 2);
    if (halfway > sustainedRate && halfway < unsustainedRate && (await tryRate(halfway))) sustainedRate = halfway;
  }
  return sustainedRate;
}

function roundRate(ratePerS) {
  return Math.max(10, Math.round(ratePerS / 10) * 10);
}

function figures(runs) {
  const fields = ['completedPerS', 'p50Ms', 'p90Ms', 'p99Ms', 'maxMs', 'brokerCpuCores', 'clientCpuCores'];
  return Object.fromEntries(fields.map((field) => [field, figure(runs, field)]));
}

/**
 * p50 and p99 of CreateProcessInstanceWithResult at rate (half the maximum sustained rate), with the garbage
 * collector's pauses per thread when the broker runs under --trace-gc (what explains the tail). worker is how the
 * load generator's worker gets its jobs: `stream` (pushed on StreamActivatedJobs) or `poll` (ActivateJobs).
 */
export async function measureLatency(broker, settings, rate, worker) {
  const runs = [];
  for (let i = 0; i < settings.repeats; i++) {
    const logFrom = logOffset(broker.logFile);
    const run = await loadRun(broker, { rate, worker, ...runOptions(settings) });
    run.gc = gcPauses(broker.logFile, logFrom, run.wallSeconds);
    runs.push(run);
    logRun(`latency at ${rate}/s, ${worker} worker, repeat ${i + 1}`, run);
  }
  return { ratePerS: rate, worker, runs, ...figures(runs) };
}

/**
 * Scale of state: `instances` instances waiting at a job that no worker takes; then memory, latency of new instances
 * at rate, and the time from restart to ready, graceful `repeats` times and once after SIGKILL (crash recovery).
 */
export async function measureScale(settings, rate) {
  const directory = temporaryDirectory('scale');
  let broker = await startBroker({ directory, partitions: 1 });
  try {
    await deploy(broker, [PROCESS_FILE, WAITING_PROCESS_FILE]);
    const memoryBefore = memoryMiB(broker.pid);
    say(`  creating ${settings.scaleInstances} waiting instances`);
    const fill = await loadgen('fill', broker.gateway, ['-process', 'bench-waiting', '-count', String(settings.scaleInstances)]);
    say(`  created ${fill.created} in ${fill.seconds.toFixed(1)} s (${Math.round(fill.ratePerS)}/s), ${fill.failed} failed`);
    // A moment for the last records to be processed and for the garbage of creating them to be collected.
    await sleep(2000);
    const memoryAfterFill = memoryMiB(broker.pid);
    const runs = [];
    for (let i = 0; i < settings.repeats; i++) {
      runs.push(await loadRun(broker, { rate, ...runOptions(settings) }));
      logRun(`latency at ${rate}/s with the waiting instances, repeat ${i + 1}`, runs.at(-1));
    }
    const memoryAfterLoad = memoryMiB(broker.pid);
    const restarts = [];
    for (let i = 0; i <= settings.repeats; i++) {
      // The last restart follows SIGKILL: recovery from the log and the state as a crash leaves them.
      const crash = i === settings.repeats;
      const stopMs = await stopBroker(broker, { crash });
      broker = await startBroker({ directory, partitions: 1 });
      const probe = await loadgen('probe', broker.gateway, ['-job-type', 'bench-waiting']);
      restarts.push({ crash, stopMs, readyMs: broker.readyMs, jobsActivatedAfterRestart: probe.activated, ...memoryMiB(broker.pid) });
      say(`  restart ${i + 1}${crash ? ' after SIGKILL' : ''}: ready in ${Math.round(broker.readyMs)} ms, ${probe.activated} waiting jobs activated`);
    }
    const graceful = restarts.filter((restart) => !restart.crash);
    return {
      instances: settings.scaleInstances,
      fill,
      memoryBefore,
      memoryAfterFill,
      memoryAfterLoad,
      dataDirectoryMiB: directorySizeMiB(join(directory, 'data')),
      runs,
      ...figures(runs),
      restarts,
      readyMs: figure(graceful, 'readyMs'),
      rssAfterRestartMiB: figure(graceful, 'rssMiB'),
      crashReadyMs: restarts.find((restart) => restart.crash)?.readyMs,
    };
  } finally {
    // SIGKILL: the state is thrown away, and a graceful stop of this much state takes seconds.
    await stopBroker(broker, { crash: true });
    removeDirectory(directory);
  }
}

function directorySizeMiB(directory) {
  return Number(execFileSync('du', ['-sk', directory]).toString().split('\t')[0]) / 1024;
}

/**
 * Records per second into one SegmentedLog (bench/log-append.mjs) and into one partition of a real Kafka broker
 * (kafka-producer-perf-test, acks=all), alternating, with the same record size, batch size and buffered bytes, once
 * with fsync before the acknowledgement on both sides and once with neither syncing (the page cache only).
 */
export async function measureLogVsKafka(settings) {
  const shape = { recordBytes: 256, batchBytes: 16_384, bufferBytes: 32 * 1024 * 1024, lingerMs: 5, maxInFlightRequests: 5 };
  const producerProperties = {
    acks: 'all',
    'batch.size': shape.batchBytes,
    'buffer.memory': shape.bufferBytes,
    'linger.ms': shape.lingerMs,
    'max.in.flight.requests.per.connection': shape.maxInFlightRequests,
    'compression.type': 'none',
  };
  const directory = temporaryDirectory('kafka');
  const kafka = await startKafka(directory);
  try {
    // flush.messages=1 makes the partition fsync after every append, before acks=all answers (Kafka's own default
    // leaves durability to replication and the page cache).
    await createTopic(kafka, 'bench-fsync', { 'flush.messages': 1 });
    await createTopic(kafka, 'bench-page-cache');
    const modes = {};
    for (const [mode, fsync, topic] of [['fsync', true, 'bench-fsync'], ['pageCache', false, 'bench-page-cache']]) {
      const kafkaRecords = await kafkaRecordCount(kafka, settings, { topic, recordBytes: shape.recordBytes, producerProperties });
      const runs = [];
      for (let i = 0; i < settings.repeats; i++) {
        const log = await appendToLog(settings, shape, fsync);
        const kafkaRun = await producerPerformance(kafka, { topic, ...kafkaRecords, recordBytes: shape.recordBytes, producerProperties });
        runs.push({ log, kafka: kafkaRun, ratio: log.recordsPerS / kafkaRun.recordsPerS });
        say(`  ${mode} ${i + 1}: log ${Math.round(log.recordsPerS)}/s, Kafka ${Math.round(kafkaRun.recordsPerS)}/s, ratio ${(log.recordsPerS / kafkaRun.recordsPerS).toFixed(2)}`);
      }
      modes[mode] = {
        kafkaRecords,
        runs,
        logRecordsPerS: spread(runs.map((run) => run.log.recordsPerS)),
        kafkaRecordsPerS: spread(runs.map((run) => run.kafka.recordsPerS)),
        ratio: figure(runs, 'ratio'),
      };
    }
    return { shape, producerProperties, logRecords: settings.logRecords, logWarmupRecords: settings.logWarmupRecords, ...modes };
  } finally {
    await stopKafka(kafka);
    removeDirectory(directory);
  }
}

/**
 * How many records make a Kafka run measure for about settings.kafkaRunS after settings.kafkaWarmupS of warm-up: a
 * short probe run measures the rate first, because with fsync per request Kafka's rate follows the disk's sync
 * latency, which differs a hundredfold between machines. The warm-up matters: both JVMs need seconds of JIT
 * compilation before Kafka reaches its steady rate, and a run without it reports a fraction of that.
 */
async function kafkaRecordCount(kafka, settings, run) {
  const probe = await producerPerformance(kafka, { ...run, records: 50_000, warmupRecords: 20_000 });
  const recordsFor = (seconds) => Math.max(50_000, Math.round((probe.recordsPerS * seconds) / 10_000) * 10_000);
  return { records: recordsFor(settings.kafkaRunS), warmupRecords: recordsFor(settings.kafkaWarmupS), probeRecordsPerS: probe.recordsPerS };
}

async function appendToLog(settings, shape, fsync) {
  const directory = temporaryDirectory('log');
  try {
    const args = [join(benchDirectory, 'log-append.mjs'), '--dir', join(directory, 'log'), '--fsync', String(fsync), '--dist', snapshotDistDirectory()];
    args.push('--records', String(settings.logRecords), '--warmup-records', String(settings.logWarmupRecords));
    args.push('--record-bytes', String(shape.recordBytes), '--batch-bytes', String(shape.batchBytes), '--buffer-bytes', String(shape.bufferBytes));
    const { stdout, cpuSeconds } = await runToCompletion(brokerNodePath(), args);
    return { ...JSON.parse(stdout), cpuSeconds };
  } finally {
    removeDirectory(directory);
  }
}

/** One closed-loop run against a broker under `node --cpu-prof`; the profile is kept in bench/.build/profiles. */
export async function profileBroker(settings) {
  const directory = temporaryDirectory('profile');
  const profileDirectory = join(directory, 'profile');
  const broker = await startBroker({ directory, partitions: 1, cpuProfileDirectory: profileDirectory });
  let run;
  let loadFromUs;
  let loadToUs;
  try {
    await deploy(broker);
    loadFromUs = Number(process.hrtime.bigint() / 1000n);
    run = await loadRun(broker, { rate: 0, inflight: CLOSED_LOOP_INFLIGHT, ...runOptions(settings) });
    loadToUs = Number(process.hrtime.bigint() / 1000n);
    logRun('closed loop under --cpu-prof', run);
  } finally {
    // A graceful stop: node writes the profile when the process exits.
    await stopBroker(broker);
  }
  // One profile per thread, named CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile: thread 0 is the main
  // thread (the gateway), the others run the partitions.
  const profileFiles = readdirSync(profileDirectory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => ({ name, threadId: Number(name.split('.').at(-3)) }))
    .sort((a, b) => a.threadId - b.threadId);
  if (profileFiles.length === 0) throw new Error(`The broker wrote no .cpuprofile into ${profileDirectory}`);
  const keptDirectory = join(benchDirectory, '.build', 'profiles');
  mkdirSync(keptDirectory, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const threads = profileFiles.map(({ name, threadId }) => {
    const kept = join(keptDirectory, `broker-${stamp}-thread-${threadId}.cpuprofile`);
    copyFileSync(join(profileDirectory, name), kept);
    // Only the samples taken under load: the broker's start (module loading) and stop would blur the hot path.
    const thread = threadId === 0 ? 'main (gateway)' : `partition thread ${threadId}`;
    return { thread, profileFile: kept, ...summarizeProfile(kept, { top: 20, fromUs: loadFromUs, toUs: loadToUs }) };
  });
  removeDirectory(directory);
  return { run, threads };
}
