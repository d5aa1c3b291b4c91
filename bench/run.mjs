// The benchmark suite of issue 3: `npm run bench` (about 30 minutes) or `npm run bench -- --quick` (under 5).
// It builds the Go load generator, fetches Kafka's jars once, runs every scenario `repeats` times one after the other
// (they share 2 cores, so nothing runs in parallel), writes bench/RESULTS.md and bench/results.json, and prints
// `RESULT pi_per_s=N p99_ms=N log_vs_kafka=R` last. Options: --quick, --only throughput,overload,kafka,camunda7,scale,profile,
// --repeats N (each scenario N times instead of 3: `--only overload --repeats 1` is one full-length overload run).
/* global console, process -- Node's: the repository's ESLint config declares no globals for .mjs files. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { fetchKafkaJars, kafkaVersion } from './lib/kafka.mjs';
import { machineFacts } from './lib/machine.mjs';
import { buildCamunda7, measureCamunda7 } from './lib/camunda7.mjs';
import { measureOverload } from './lib/overload.mjs';
import { benchDirectory } from './lib/paths.mjs';
import { cleanUp, machineCpuSeconds, removeDirectory, sleep, temporaryDirectory } from './lib/processes.mjs';
import { renderResults, resultLine } from './lib/report.mjs';
import { measureLatency, measureLogVsKafka, measureScale, measureThroughput, profileBroker } from './lib/scenarios.mjs';
import { spread } from './lib/stats.mjs';
import { brokerNodeVersion, buildTools, codeVersion, deploy, startBroker, stopBroker } from './lib/tributary.mjs';
import { say } from './lib/say.mjs';

const SCENARIOS = ['throughput', 'overload', 'kafka', 'camunda7', 'scale', 'profile'];
const { values: options } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string', default: SCENARIOS.join(',') }, repeats: { type: 'string' } } });
const selected = new Set(options.only.split(','));
for (const name of selected) if (!SCENARIOS.includes(name)) throw new Error(`Unknown scenario '${name}'; expected some of ${SCENARIOS.join(', ')}`);

const settings = options.quick
  ? { quick: true, repeats: 3, warmupS: 1, windowS: 3, searchStepFraction: 0.15, searchStepsMax: 4, scaleInstances: 100_000, logRecords: 300_000, logWarmupRecords: 100_000, kafkaRunS: 4, kafkaWarmupS: 8, overloadS: 8, camundaWarmupS: 5 }
  : { quick: false, repeats: 3, warmupS: 5, windowS: 20, searchStepFraction: 0.1, searchStepsMax: 8, scaleInstances: 1_000_000, logRecords: 2_000_000, logWarmupRecords: 500_000, kafkaRunS: 15, kafkaWarmupS: 20, overloadS: 60, camundaWarmupS: 20 };
if (options.repeats !== undefined) {
  const repeats = Number(options.repeats);
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`Expected --repeats to be a whole number of at least 1, but got '${options.repeats}'`);
  settings.repeats = repeats;
}
/** Used for the scale scenario's latency runs when the throughput scenario did not run to give half its rate. */
const FALLBACK_LATENCY_RATE_PER_S = 500;

async function runBrokerScenarios(partitions, withLatency) {
  const directory = temporaryDirectory(`throughput-${partitions}`);
  // The latency runs explain their tail with the garbage collector's pauses (--trace-gc; a few lines a second).
  const broker = await startBroker({ directory, partitions, traceGc: withLatency });
  try {
    await deploy(broker);
    say(`throughput, ${partitions} partition${partitions > 1 ? 's' : ''}`);
    const throughput = await measureThroughput(broker, settings);
    let latency;
    let latencyPoll;
    if (withLatency && throughput.sustainedRatePerS) {
      const rate = Math.round(throughput.sustainedRatePerS / 2);
      // Jobs pushed to a job stream (Zeebe 8.4's StreamActivatedJobs) are the low-latency way to take them; long
      // polling, the 8.3 Go client's own worker, is measured too, for comparison.
      say(`latency at half the maximum sustained rate, ${rate}/s, jobs pushed to a job stream`);
      latency = await measureLatency(broker, settings, rate, 'stream');
      say(`latency at half the maximum sustained rate, ${rate}/s, jobs long-polled`);
      latencyPoll = await measureLatency(broker, settings, rate, 'poll');
    }
    return { throughput, latency, latencyPoll };
  } finally {
    await stopBroker(broker);
    removeDirectory(directory);
  }
}

function partitionRatio(one, two) {
  if (one?.completedPerS && two?.completedPerS) return { ratio: spread([two.completedPerS.median / one.completedPerS.median]) };
  const failure = two?.failure ? `2 partitions: ${two.failure}` : `1 partition: ${one?.failure}`;
  return { ratio: spread([]), note: failure };
}

/** Camunda 7 only where org.camunda.bpm:camunda-engine resolves from Maven Central; otherwise the reason, in RESULTS.md. */
async function runCamunda7() {
  try {
    await buildCamunda7();
  } catch (error) {
    say(`  Camunda 7 could not be built: ${error.message.split('\n')[0]}`);
    return { failure: `bench/camunda7 did not build (camunda-engine or H2 did not resolve from Maven Central?): ${error.message.split('\n')[0]}` };
  }
  // A side comparison (not a target of the issue): its failure is reported and the other scenarios still run.
  try {
    return await measureCamunda7(settings);
  } catch (error) {
    say(`  Camunda 7 failed: ${error.message.split('\n')[0]}`);
    return { failure: `the Camunda 7 run failed: ${error.message.split('\n')[0]}` };
  }
}

/** How many cores other processes keep busy before the benchmark starts: a shared machine gives lower figures. */
async function busyCoresBeforeStart() {
  const before = machineCpuSeconds();
  await sleep(2000);
  return (machineCpuSeconds() - before) / 2;
}

async function main() {
  const started = performance.now();
  const scratch = temporaryDirectory('machine');
  const results = { generatedAt: new Date().toISOString(), settings, machine: machineFacts(scratch), kafkaVersion: kafkaVersion(), scenarios: {} };
  removeDirectory(scratch);
  results.machine.busyCoresBeforeStart = await busyCoresBeforeStart();
  if (results.machine.busyCoresBeforeStart > 0.2) {
    say(`warning: other processes keep ${results.machine.busyCoresBeforeStart.toFixed(2)} cores busy; the figures will be lower than on an idle machine`);
  }
  say(`${settings.quick ? 'quick' : 'full'} run on ${results.machine.cpuModel} x${results.machine.logicalCores}, Node ${results.machine.node}`);
  await buildTools();
  if (brokerNodeVersion() !== results.machine.node) results.machine.node = `${brokerNodeVersion()} (brokers and the log benchmark; the benchmark itself: ${results.machine.node})`;
  results.code = codeVersion();
  const { scenarios } = results;

  if (selected.has('throughput')) {
    const one = await runBrokerScenarios(1, true);
    scenarios.throughput1 = one.throughput;
    scenarios.latency = one.latency;
    scenarios.latencyPoll = one.latencyPoll;
    scenarios.throughput2 = (await runBrokerScenarios(2, false)).throughput;
    scenarios.partitions = partitionRatio(scenarios.throughput1, scenarios.throughput2);
  }
  if (selected.has('overload')) {
    say('overload: twice the maximum sustained rate, then the maximum again');
    scenarios.overload = await measureOverload(settings, scenarios.throughput1?.sustainedRatePerS);
  }
  if (selected.has('kafka')) {
    await fetchKafkaJars();
    say('log versus Kafka');
    scenarios.logVsKafka = await measureLogVsKafka(settings);
  }
  if (selected.has('camunda7')) {
    say('Camunda 7 (embedded engine, H2) on the same one-task process');
    scenarios.camunda7 = await runCamunda7();
  }
  if (selected.has('scale')) {
    const rate = scenarios.latency?.ratePerS ?? FALLBACK_LATENCY_RATE_PER_S;
    say(`scale of state, ${settings.scaleInstances.toLocaleString('en')} waiting instances`);
    scenarios.scale = await measureScale(settings, rate);
  }
  if (selected.has('profile')) {
    say('CPU profile of the broker under closed-loop load');
    scenarios.profile = await profileBroker(settings);
  }

  results.wallSeconds = (performance.now() - started) / 1000;
  writeFileSync(join(benchDirectory, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(benchDirectory, 'RESULTS.md'), renderResults(results));
  say(`wrote bench/RESULTS.md and bench/results.json in ${Math.round(results.wallSeconds)} s`);
  console.log(resultLine(results));
}

try {
  await main();
} catch (error) {
  console.error('bench: failed:', error);
  process.exitCode = 1;
} finally {
  cleanUp();
}
